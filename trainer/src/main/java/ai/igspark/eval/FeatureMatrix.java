package ai.igspark.eval;

/**
 * Feature vectors held in memory, one per row (float32 as extractors produce them, or float64),
 * read out in double-precision blocks.
 */
public final class FeatureMatrix {
  private final float[] floats;
  private final double[] doubles;
  private final int rows;
  private final int cols;

  private FeatureMatrix(float[] floats, double[] doubles, int rows, int cols) {
    long need = (long) rows * cols;
    long have = floats != null ? floats.length : doubles.length;
    if (rows < 0 || cols <= 0 || need != have) {
      throw new IllegalArgumentException(
          rows + " × " + cols + " features need " + need + " values, got " + have);
    }
    this.floats = floats;
    this.doubles = doubles;
    this.rows = rows;
    this.cols = cols;
  }

  public static FeatureMatrix ofFloats(float[] values, int rows, int cols) {
    return new FeatureMatrix(values, null, rows, cols);
  }

  public static FeatureMatrix ofDoubles(double[] values, int rows, int cols) {
    return new FeatureMatrix(null, values, rows, cols);
  }

  public int rows() {
    return rows;
  }

  public int cols() {
    return cols;
  }

  /** Rows [from, from + count) as a row-major double block. */
  public double[] block(int from, int count) {
    double[] out = new double[count * cols];
    if (doubles != null) {
      System.arraycopy(doubles, from * cols, out, 0, out.length);
    } else {
      int off = from * cols;
      for (int i = 0; i < out.length; i++) {
        out[i] = floats[off + i];
      }
    }
    return out;
  }
}
