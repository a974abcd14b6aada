package ai.igspark.data.ingest;

/**
 * An 8-bit RGB image: {@code height * width * 3} bytes, row-major, channels interleaved (the
 * layout of {@code np.array(pil_image)}).
 */
public record RgbImage(int width, int height, byte[] pixels) {

  public RgbImage {
    if (width <= 0 || height <= 0 || pixels.length != width * height * 3) {
      throw new IllegalArgumentException(
          "RGB image " + width + "x" + height + " needs " + (width * height * 3) + " bytes, got "
              + pixels.length);
    }
  }

  public int get(int x, int y, int channel) {
    return pixels[(y * width + x) * 3 + channel] & 0xff;
  }

  /** The mirror image (left and right swapped), as {@code RandomHorizontalFlip(p=1)} gives. */
  public RgbImage flipHorizontally() {
    byte[] out = new byte[pixels.length];
    for (int y = 0; y < height; y++) {
      for (int x = 0; x < width; x++) {
        System.arraycopy(pixels, (y * width + x) * 3, out, (y * width + width - 1 - x) * 3, 3);
      }
    }
    return new RgbImage(width, height, out);
  }

  /** CHW floats in [-1, 1] ({@code x / 127.5 - 1}), written at {@code offset} of {@code out}. */
  public void toSignedUnitChw(float[] out, int offset) {
    int plane = width * height;
    for (int i = 0; i < plane; i++) {
      for (int c = 0; c < 3; c++) {
        out[offset + c * plane + i] = (pixels[i * 3 + c] & 0xff) / 127.5f - 1f;
      }
    }
  }
}
