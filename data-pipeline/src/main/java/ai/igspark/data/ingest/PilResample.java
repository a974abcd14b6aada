package ai.igspark.data.ingest;

/**
 * Pillow's {@code Image.resize} for 8-bit images with the BOX and BICUBIC filters, reproduced
 * operation by operation so that crops match PIL's (and so the published ImageNet latents).
 *
 * <p>Hand-written because neither AWT nor ImageIO resamples like Pillow: Pillow widens the filter
 * support by the scale factor when shrinking (antialiasing), normalises each output pixel's
 * weights to sum to 1, converts them to fixed point with 22 fractional bits, and runs two
 * separable passes (horizontal first, rounded and clipped to 8 bits in between). The steps follow
 * Pillow's {@code libImaging/Resample.c} (precompute_coeffs, normalize_coeffs_8bpc,
 * ImagingResampleHorizontal_8bpc / Vertical_8bpc).
 */
public final class PilResample {

  /** A resampling filter: its kernel and its support at scale 1. */
  public enum Filter {
    BOX(0.5) {
      @Override
      double weight(double x) {
        return x > -0.5 && x <= 0.5 ? 1.0 : 0.0;
      }
    },
    /** Keys' cubic with a = -0.5, as Pillow's BICUBIC. */
    BICUBIC(2.0) {
      @Override
      double weight(double x) {
        final double a = -0.5;
        x = Math.abs(x);
        if (x < 1.0) {
          return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
        }
        if (x < 2.0) {
          return (((x - 5) * x + 8) * x - 4) * a;
        }
        return 0.0;
      }
    };

    final double support;

    Filter(double support) {
      this.support = support;
    }

    abstract double weight(double x);
  }

  private static final int PRECISION_BITS = 32 - 8 - 2;

  private PilResample() {}

  /** {@code image.resize((width, height), filter)}; a same-size resize returns the input. */
  public static RgbImage resize(RgbImage image, int width, int height, Filter filter) {
    if (width == image.width() && height == image.height()) {
      return image;
    }
    Coefficients horizontal = Coefficients.of(image.width(), width, filter);
    Coefficients vertical = Coefficients.of(image.height(), height, filter);
    RgbImage current = image;
    int firstRow = 0;
    if (width != image.width()) {
      // Only the source rows the vertical pass reads are resampled horizontally.
      firstRow = vertical.start[0];
      int lastRow = vertical.start[height - 1] + vertical.length[height - 1];
      current = horizontalPass(image, firstRow, lastRow - firstRow, horizontal);
    }
    if (height != image.height()) {
      current = verticalPass(current, firstRow, vertical);
    }
    return current;
  }

  /** Per output pixel: first source index, number of taps, fixed-point weights. */
  private record Coefficients(int[] start, int[] length, int[] weights, int taps) {

    static Coefficients of(int inSize, int outSize, Filter filter) {
      double scale = (double) inSize / outSize;
      double filterScale = Math.max(scale, 1.0);
      double support = filter.support * filterScale;
      int taps = (int) Math.ceil(support) * 2 + 1;
      int[] start = new int[outSize];
      int[] length = new int[outSize];
      int[] fixed = new int[outSize * taps];
      double[] k = new double[taps];
      for (int xx = 0; xx < outSize; xx++) {
        double center = (xx + 0.5) * scale;
        double ss = 1.0 / filterScale;
        int xmin = Math.max((int) (center - support + 0.5), 0); // (int) truncates, as C does
        int xmax = Math.min((int) (center + support + 0.5), inSize) - xmin;
        double sum = 0.0;
        for (int x = 0; x < xmax; x++) {
          k[x] = filter.weight((x + xmin - center + 0.5) * ss);
          sum += k[x];
        }
        for (int x = 0; x < xmax; x++) {
          double w = sum != 0.0 ? k[x] / sum : k[x];
          // normalize_coeffs_8bpc: round half away from zero to 22 fractional bits.
          fixed[xx * taps + x] =
              w < 0
                  ? (int) (-0.5 + w * (1 << PRECISION_BITS))
                  : (int) (0.5 + w * (1 << PRECISION_BITS));
        }
        start[xx] = xmin;
        length[xx] = xmax;
      }
      return new Coefficients(start, length, fixed, taps);
    }
  }

  private static RgbImage horizontalPass(RgbImage in, int firstRow, int rows, Coefficients c) {
    int outWidth = c.start.length;
    byte[] src = in.pixels();
    byte[] out = new byte[outWidth * rows * 3];
    for (int y = 0; y < rows; y++) {
      int rowBase = (y + firstRow) * in.width() * 3;
      for (int xx = 0; xx < outWidth; xx++) {
        int xmin = c.start[xx];
        int kBase = xx * c.taps;
        for (int ch = 0; ch < 3; ch++) {
          int ss = 1 << (PRECISION_BITS - 1);
          for (int x = 0; x < c.length[xx]; x++) {
            ss += (src[rowBase + (x + xmin) * 3 + ch] & 0xff) * c.weights[kBase + x];
          }
          out[(y * outWidth + xx) * 3 + ch] = clip8(ss);
        }
      }
    }
    return new RgbImage(outWidth, rows, out);
  }

  /** {@code rowOffset}: source row 0 of {@code in} is row {@code rowOffset} of the original. */
  private static RgbImage verticalPass(RgbImage in, int rowOffset, Coefficients c) {
    int outHeight = c.start.length;
    int width = in.width();
    byte[] src = in.pixels();
    byte[] out = new byte[width * outHeight * 3];
    for (int yy = 0; yy < outHeight; yy++) {
      int ymin = c.start[yy] - rowOffset;
      int kBase = yy * c.taps;
      for (int xx = 0; xx < width; xx++) {
        for (int ch = 0; ch < 3; ch++) {
          int ss = 1 << (PRECISION_BITS - 1);
          for (int y = 0; y < c.length[yy]; y++) {
            ss += (src[((y + ymin) * width + xx) * 3 + ch] & 0xff) * c.weights[kBase + y];
          }
          out[(yy * width + xx) * 3 + ch] = clip8(ss);
        }
      }
    }
    return new RgbImage(width, outHeight, out);
  }

  private static byte clip8(int ss) {
    if (ss >= (1 << PRECISION_BITS << 8)) {
      return (byte) 255;
    }
    if (ss <= 0) {
      return 0;
    }
    return (byte) (ss >> PRECISION_BITS);
  }
}
