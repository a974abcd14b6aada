package ai.igspark.metrics.tensorboard;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class TfRecordTest {
  @Test
  void maskedCrcOfTheCheckStringIsTheRotatedCheckValuePlusTheDelta() {
    // CRC-32C("123456789") = 0xE3069283 (the check value, RFC 3720 B.4); rotated right by 15:
    // 0x2507C60D; plus 0xA282EAD8 (mod 2^32): 0xC78AB0E5.
    byte[] check = "123456789".getBytes(StandardCharsets.US_ASCII);
    assertEquals(0xC78AB0E5, TfRecord.maskedCrc32c(check, 0, check.length));
  }

  @Test
  void aRecordOf24BytesStartsAsEveryTensorFlowEventFileDoes() {
    // Length 24 (the file-version event with a wall time), then its masked CRC a3 7f 4b 22:
    // the first 12 bytes of event files written by TensorFlow's own writer.
    byte[] head = Arrays.copyOf(TfRecord.frame(new byte[24]), 12);
    byte[] expected = {0x18, 0, 0, 0, 0, 0, 0, 0, (byte) 0xa3, 0x7f, 0x4b, 0x22};
    assertArrayEquals(expected, head);
  }

  @Test
  void aRecordIsLengthItsCrcTheDataAndTheDataCrcLittleEndian() {
    byte[] data = "an event".getBytes(StandardCharsets.UTF_8);
    ByteBuffer r = ByteBuffer.wrap(TfRecord.frame(data)).order(ByteOrder.LITTLE_ENDIAN);
    assertEquals(TfRecord.OVERHEAD + data.length, r.capacity());
    assertEquals(data.length, r.getLong(0));
    assertEquals(TfRecord.maskedCrc32c(r.array(), 0, 8), r.getInt(8));
    assertArrayEquals(data, Arrays.copyOfRange(r.array(), 12, 12 + data.length));
    assertEquals(TfRecord.maskedCrc32c(data, 0, data.length), r.getInt(12 + data.length));
  }
}
