package ai.igspark.eval;

/**
 * uint8 RGB images, values 0–255, in NHWC order (ADM's {@code arr_0} layout) or NCHW (what a
 * decoder produces).
 *
 * @param pixels count × height × width × 3 bytes (unsigned), in {@code layout} order
 */
public record ImageBatch(byte[] pixels, int count, int height, int width, Layout layout)
    implements java.io.Serializable {

  /** Memory order of the pixels. */
  public enum Layout {
    NHWC,
    NCHW
  }

  public ImageBatch {
    if ((long) count * height * width * 3 != pixels.length) {
      throw new IllegalArgumentException(
          count + " images of " + height + "×" + width + "×3 need "
              + (long) count * height * width * 3 + " bytes, got " + pixels.length);
    }
  }

  /** NHWC images. */
  public ImageBatch(byte[] pixels, int count, int height, int width) {
    this(pixels, count, height, width, Layout.NHWC);
  }
}
