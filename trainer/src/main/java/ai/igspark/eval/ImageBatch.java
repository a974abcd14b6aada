package ai.igspark.eval;

/**
 * uint8 RGB images in NHWC order (ADM's {@code arr_0} layout), values 0–255.
 *
 * @param pixels count × height × width × 3 bytes (unsigned)
 */
public record ImageBatch(byte[] pixels, int count, int height, int width) {
  public ImageBatch {
    if ((long) count * height * width * 3 != pixels.length) {
      throw new IllegalArgumentException(
          count + " images of " + height + "×" + width + "×3 need "
              + (long) count * height * width * 3 + " bytes, got " + pixels.length);
    }
  }
}
