package ai.igspark.metrics.tensorboard;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.zip.CRC32C;

/**
 * TFRecord framing, the container of TensorBoard event files: per record {@code uint64 length},
 * {@code uint32 masked CRC32C(length bytes)}, the data, {@code uint32 masked CRC32C(data)}, all
 * little-endian. The mask (rotate right by 15, add a constant) is TensorFlow's: it keeps a CRC of
 * data that itself contains CRCs from being trivially zero.
 */
final class TfRecord {
  static final int MASK_DELTA = 0xa282ead8;
  /** Bytes a record adds around its data: length, its CRC, the data's CRC. */
  static final int OVERHEAD = 8 + 4 + 4;

  private TfRecord() {}

  /** The record holding {@code data}. */
  static byte[] frame(byte[] data) {
    ByteBuffer b = ByteBuffer.allocate(OVERHEAD + data.length).order(ByteOrder.LITTLE_ENDIAN);
    b.putLong(data.length);
    b.putInt(maskedCrc32c(b.array(), 0, 8));
    b.put(data);
    b.putInt(maskedCrc32c(data, 0, data.length));
    return b.array();
  }

  /** TensorFlow's masked CRC32C of {@code len} bytes of {@code bytes} from {@code off}. */
  static int maskedCrc32c(byte[] bytes, int off, int len) {
    CRC32C crc = new CRC32C();
    crc.update(bytes, off, len);
    return mask((int) crc.getValue());
  }

  static int mask(int crc) {
    return ((crc >>> 15) | (crc << 17)) + MASK_DELTA;
  }
}
