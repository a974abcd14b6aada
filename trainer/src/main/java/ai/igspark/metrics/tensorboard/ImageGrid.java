package ai.igspark.metrics.tensorboard;

import java.awt.image.BufferedImage;
import java.awt.image.WritableRaster;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.Objects;
import javax.imageio.ImageIO;

/**
 * An 8-bit image for TensorBoard: {@code pixels} is height × width × channels, row-major with the
 * channels of a pixel adjacent (HWC, as numpy's uint8 images), 1 channel (gray) or 3 (RGB).
 *
 * @param pixels the samples; the record keeps its own copy
 */
public record ImageGrid(int height, int width, int channels, byte[] pixels) {
  public ImageGrid {
    if (height <= 0 || width <= 0) {
      throw new IllegalArgumentException(
          "an image needs a positive height and width, got " + height + "×" + width);
    }
    if (channels != 1 && channels != 3) {
      throw new IllegalArgumentException(
          "an image has 1 (gray) or 3 (RGB) channels, got " + channels);
    }
    long expected = (long) height * width * channels;
    if (pixels.length != expected) {
      throw new IllegalArgumentException(
          "a " + height + "×" + width + "×" + channels + " image has " + expected
              + " bytes, got " + pixels.length);
    }
    pixels = pixels.clone();
  }

  /** The RGB pixels of {@code image} (e.g. a sample grid drawn by the evaluation). */
  public static ImageGrid of(BufferedImage image) {
    int h = image.getHeight();
    int w = image.getWidth();
    byte[] px = new byte[h * w * 3];
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        int rgb = image.getRGB(x, y);
        int i = (y * w + x) * 3;
        px[i] = (byte) (rgb >> 16);
        px[i + 1] = (byte) (rgb >> 8);
        px[i + 2] = (byte) rgb;
      }
    }
    return new ImageGrid(h, w, 3, px);
  }

  @Override
  public byte[] pixels() {
    return pixels.clone();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ImageGrid g && g.height == height && g.width == width
        && g.channels == channels && Arrays.equals(g.pixels, pixels);
  }

  @Override
  public int hashCode() {
    return Objects.hash(height, width, channels, Arrays.hashCode(pixels));
  }

  @Override
  public String toString() {
    return "ImageGrid[" + height + "×" + width + "×" + channels + "]";
  }

  /** The image as an 8-bit gray or RGB PNG. */
  byte[] png() {
    BufferedImage img =
        new BufferedImage(
            width, height,
            channels == 1 ? BufferedImage.TYPE_BYTE_GRAY : BufferedImage.TYPE_3BYTE_BGR);
    // The raster's bands are R, G, B (gray: one band) whatever the storage order.
    WritableRaster raster = img.getRaster();
    int[] samples = new int[pixels.length];
    for (int i = 0; i < samples.length; i++) {
      samples[i] = pixels[i] & 0xff;
    }
    raster.setPixels(0, 0, width, height, samples);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      if (!ImageIO.write(img, "png", out)) {
        throw new IllegalStateException("no PNG writer in javax.imageio");
      }
    } catch (IOException e) {
      throw new UncheckedIOException("PNG encoding into memory failed", e); // no I/O happens
    }
    return out.toByteArray();
  }
}
