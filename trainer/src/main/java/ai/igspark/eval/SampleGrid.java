package ai.igspark.eval;

import ai.igspark.data.InvalidInputException;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;

/**
 * Pixel-space samples in [−1, 1] as uint8 images and PNG grids. The conversion is REPA/IG's {@code
 * uint8(clamp(255·(x+1)/2, 0, 255))} with truncation (docs/METRICS.md §3 item 5), so fixed-seed
 * outputs are comparable with that code base.
 */
public final class SampleGrid {
  private SampleGrid() {}

  /** REPA/IG convention: truncation of 255·(x+1)/2 after clamping to [0, 255]. */
  public static int toUint8(float x) {
    float v = 255f * (x + 1f) / 2f;
    return v <= 0f ? 0 : v >= 255f ? 255 : (int) v;
  }

  /**
   * A grid of {@code n} images of {@code channels}×{@code h}×{@code w} (NCHW floats in [−1, 1],
   * 1 or 3 channels), {@code columns} per row, with a 2-pixel gap.
   */
  public static BufferedImage grid(float[] nchw, int n, int channels, int h, int w, int columns) {
    if (channels != 1 && channels != 3) {
      throw new InvalidInputException(
          "a PNG grid needs 1 or 3 channels, got " + channels
              + " (latent samples need a VAE decoder first)");
    }
    int rows = (n + columns - 1) / columns;
    int gap = 2;
    BufferedImage img =
        new BufferedImage(
            columns * (w + gap) + gap, rows * (h + gap) + gap, BufferedImage.TYPE_INT_RGB);
    int plane = h * w;
    for (int k = 0; k < n; k++) {
      int x0 = gap + (k % columns) * (w + gap);
      int y0 = gap + (k / columns) * (h + gap);
      int base = k * channels * plane;
      for (int y = 0; y < h; y++) {
        for (int x = 0; x < w; x++) {
          int p = y * w + x;
          int r = toUint8(nchw[base + p]);
          int g = channels == 3 ? toUint8(nchw[base + plane + p]) : r;
          int b = channels == 3 ? toUint8(nchw[base + 2 * plane + p]) : r;
          img.setRGB(x0 + x, y0 + y, (r << 16) | (g << 8) | b);
        }
      }
    }
    return img;
  }

  /** A grid of uint8 RGB images (NCHW, e.g. decoded samples), {@code columns} per row. */
  public static BufferedImage grid(ImageBatch images, int columns) {
    if (images.layout() != ImageBatch.Layout.NCHW) {
      throw new IllegalArgumentException("expected NCHW images");
    }
    int n = images.count();
    int h = images.height();
    int w = images.width();
    int rows = (n + columns - 1) / columns;
    int gap = 2;
    BufferedImage img =
        new BufferedImage(
            columns * (w + gap) + gap, rows * (h + gap) + gap, BufferedImage.TYPE_INT_RGB);
    byte[] px = images.pixels();
    int plane = h * w;
    for (int k = 0; k < n; k++) {
      int x0 = gap + (k % columns) * (w + gap);
      int y0 = gap + (k / columns) * (h + gap);
      int base = k * 3 * plane;
      for (int p = 0; p < plane; p++) {
        int rgb =
            (px[base + p] & 0xff) << 16 | (px[base + plane + p] & 0xff) << 8
                | (px[base + 2 * plane + p] & 0xff);
        img.setRGB(x0 + p % w, y0 + p / w, rgb);
      }
    }
    return img;
  }

  /**
   * Reorders class-balanced samples (sample i has class i mod K) so that row c of a grid with
   * {@code perClass} columns shows class c.
   */
  public static float[] classPerRow(float[] images, int classes, int perClass, int sampleSize) {
    float[] rows = new float[classes * perClass * sampleSize];
    for (int c = 0; c < classes; c++) {
      for (int j = 0; j < perClass; j++) {
        System.arraycopy(
            images, (j * classes + c) * sampleSize, rows, (c * perClass + j) * sampleSize,
            sampleSize);
      }
    }
    return rows;
  }

  public static void writePng(BufferedImage image, Path file) {
    try (OutputStream out = Files.newOutputStream(file)) {
      writePng(image, out);
    } catch (IOException e) {
      throw new InvalidInputException(file + ": cannot write: " + e.getMessage(), e);
    }
  }

  public static void writePng(BufferedImage image, OutputStream out) throws IOException {
    if (!ImageIO.write(image, "png", out)) {
      throw new IOException("no PNG writer available");
    }
  }
}
