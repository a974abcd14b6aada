package ai.igspark.metrics.tensorboard;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * The hand encoding against records as protobuf's generated event classes serialise them (a
 * published event-file fixture: wall time 256.5, {@code v/1 = 1.5} at step 1, {@code v/22 = 16}
 * at step 2), framing included.
 */
class EventEncoderTest {
  private static final double WALL_TIME = 256.5;

  @Test
  void theFileVersionRecordIsByteForByteTheReference() {
    assertArrayEquals(
        bytes(
            "18 00 00 00 00 00 00 00 a3 7f 4b 22 09 00 00 00 00 00 08 70 40 1a 0d",
            "brain.Event:2", "bc 98 21 2b"),
        TfRecord.frame(EventEncoder.fileVersion(WALL_TIME)));
  }

  @Test
  void scalarRecordsAreByteForByteTheReference() {
    assertArrayEquals(
        bytes(
            "19 00 00 00 00 00 00 00 8b f1 08 28 09 00 00 00 00 00 08 70 40 10 01 2a 0c 0a 0a 0a"
                + " 03", "v/1", "15 00 00 c0 3f 2c ec c0 87"),
        TfRecord.frame(EventEncoder.scalar(WALL_TIME, 1, "v/1", 1.5f)));
    assertArrayEquals(
        bytes(
            "1a 00 00 00 00 00 00 00 12 9b d8 2d 09 00 00 00 00 00 08 70 40 10 02 2a 0d 0a 0b 0a"
                + " 04", "v/22", "15 00 00 80 41 8f a3 b6 88"),
        TfRecord.frame(EventEncoder.scalar(WALL_TIME, 2, "v/22", 16f)));
  }

  @Test
  void aNegativeStepIsTheTenByteTwosComplementVarint() {
    byte[] event = EventEncoder.sessionStart(WALL_TIME, -1);
    // wall_time (9 bytes), then field 2 varint: tag 0x10 and ten bytes for -1.
    byte[] step = Arrays.copyOfRange(event, 9, 20);
    assertArrayEquals(bytes("10 ff ff ff ff ff ff ff ff ff 01"), step);
  }

  /** Hex groups and ASCII text, concatenated. */
  private static byte[] bytes(String... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (int i = 0; i < parts.length; i++) {
      if (i % 2 == 0) {
        for (String h : parts[i].trim().split(" +")) {
          out.write(Integer.parseInt(h, 16));
        }
      } else {
        out.writeBytes(parts[i].getBytes(StandardCharsets.US_ASCII));
      }
    }
    return out.toByteArray();
  }
}
