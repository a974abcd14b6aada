package ai.igspark.eval;

import java.io.IOException;
import java.io.ObjectOutputStream;
import java.io.Serial;
import java.io.Serializable;
import java.util.Arrays;

/**
 * Streaming, mergeable accumulation of n, Σ(x − s) and Σ(x − s)(x − s)ᵀ in double precision, which
 * give μ and the unbiased Σ of docs/METRICS.md §1.
 *
 * <p>The shift s is a pilot mean (docs/METRICS.md §5.1): without it, Σxxᵀ − n·μμᵀ cancels badly
 * when the features sit far from 0 (Inception pool features are non-negative). s is the mean of the
 * first batch unless given with {@link #withShift}. Partial accumulators combine with {@link
 * #merge}; when their shifts differ the other side is re-centred, exactly in algebra (so only
 * rounding differs). For results that do not depend on how rows are split into partitions, give
 * every partition the same shift (for instance the reference μ) so merging is a plain sum.
 *
 * <p>Accuracy: entries of Σ are within ~1e-13·√(Σaa·Σbb) of a two-pass computation when the
 * shift is a rough mean (a first batch's); with the exact mean (everything added in one call) they
 * match numpy's np.cov to ~1e-15 relative, entry by entry.
 *
 * <p>Rows are buffered and folded into the scatter matrix with a symmetric rank-k update
 * ({@code dsyrk}) per block, which is far faster than rank-1 updates.
 *
 * <p>For Spark: the class is {@link Serializable} (Java serialization flushes pending rows first;
 * Kryo's field serializer carries them), and {@link #toArray()}/{@link #fromArray} give a flat
 * {@code double[]} form (with Kryo's registrationRequired, register this class and {@code
 * double[]}, or ship the flat form).
 */
public final class FeatureStatistics implements Serializable {
  @Serial private static final long serialVersionUID = 1L;
  private static final int BLOCK_ROWS = 512;

  private final int dim;
  private long count;
  private double[] shift; // null until the first batch fixes it
  private final double[] sum; // Σ (x − s)
  private final double[] scatter; // Σ (x − s)(x − s)ᵀ, upper triangle authoritative
  // Pending centred rows (BLOCK_ROWS × dim) are state too: serializers that bypass writeObject
  // (Kryo) must carry them, or rows added since the last flush would be lost.
  private double[] block;
  private int blockRows;
  private transient LinearAlgebra linearAlgebra;

  private FeatureStatistics(int dim, double[] shift) {
    if (dim <= 0) {
      throw new IllegalArgumentException("feature dimension must be positive, got " + dim);
    }
    this.dim = dim;
    this.shift = shift;
    this.sum = new double[dim];
    this.scatter = new double[Math.multiplyExact(dim, dim)];
  }

  /** An empty accumulator whose shift is the mean of the first batch it sees. */
  public static FeatureStatistics create(int dim) {
    return new FeatureStatistics(dim, null);
  }

  /** An empty accumulator with a fixed pilot mean (use the same one on every partition). */
  public static FeatureStatistics withShift(double[] shift) {
    return new FeatureStatistics(shift.length, shift.clone());
  }

  public int dim() {
    return dim;
  }

  public long count() {
    return count;
  }

  /**
   * Adds {@code rows} feature vectors stored row-major in {@code features} (rows × dim). Widening
   * float to double is exact, so this equals {@link #add(double[], int)} on the widened values.
   */
  public FeatureStatistics add(float[] features, int rows) {
    double[] wide = new double[features.length];
    for (int i = 0; i < wide.length; i++) {
      wide[i] = features[i];
    }
    return add(wide, rows);
  }

  /** Adds {@code rows} feature vectors stored row-major in {@code features} (rows × dim). */
  public FeatureStatistics add(double[] features, int rows) {
    checkLength(features.length, rows);
    if (shift == null) {
      shift = new double[dim];
      for (int i = 0; i < rows; i++) {
        for (int j = 0; j < dim; j++) {
          shift[j] += features[i * dim + j];
        }
      }
      for (int j = 0; j < dim; j++) {
        shift[j] /= rows;
      }
    }
    for (int i = 0; i < rows; i++) {
      double[] row = nextBlockRow();
      int off = blockRows * dim;
      for (int j = 0; j < dim; j++) {
        row[off + j] = features[i * dim + j] - shift[j];
      }
      commitRow();
    }
    return this;
  }

  private void checkLength(int length, int rows) {
    if (rows <= 0 || (long) rows * dim != length) {
      throw new IllegalArgumentException(
          rows + " rows of dimension " + dim + " need " + (long) rows * dim + " values, got "
              + length);
    }
  }

  private double[] nextBlockRow() {
    if (block == null) {
      block = new double[BLOCK_ROWS * dim];
    }
    return block;
  }

  private void commitRow() {
    int off = blockRows * dim;
    for (int j = 0; j < dim; j++) {
      sum[j] += block[off + j];
    }
    count++;
    if (++blockRows == BLOCK_ROWS) {
      flush();
    }
  }

  private void flush() {
    if (blockRows == 0) {
      return;
    }
    double[] rows = blockRows == BLOCK_ROWS ? block : Arrays.copyOf(block, blockRows * dim);
    linearAlgebra().addGram(rows, blockRows, dim, scatter);
    blockRows = 0;
  }

  private LinearAlgebra linearAlgebra() {
    if (linearAlgebra == null) {
      linearAlgebra = LinearAlgebra.preferred();
    }
    return linearAlgebra;
  }

  /** Uses these kernels instead of {@link LinearAlgebra#preferred()} (benchmarks, tests). */
  public FeatureStatistics using(LinearAlgebra kernels) {
    flush();
    this.linearAlgebra = kernels;
    return this;
  }

  /**
   * Adds everything {@code other} accumulated; returns this. With equal shifts this is a plain sum;
   * otherwise other's sums are moved to this shift: with δ = s₂ − s₁,
   * Σ(x − s₁) = Σ(x − s₂) + nδ and Σ(x − s₁)(x − s₁)ᵀ = S₂ + Σ(x − s₂)δᵀ + δΣ(x − s₂)ᵀ + nδδᵀ.
   */
  public FeatureStatistics merge(FeatureStatistics other) {
    if (other.dim != dim) {
      throw new IllegalArgumentException(
          "cannot merge statistics of dimension " + other.dim + " into dimension " + dim);
    }
    flush();
    other.flush();
    if (other.count == 0) {
      return this;
    }
    if (count == 0 && shift == null) {
      shift = other.shift.clone();
    }
    double[] delta = new double[dim];
    boolean sameShift = true;
    for (int j = 0; j < dim; j++) {
      delta[j] = other.shift[j] - shift[j];
      sameShift &= delta[j] == 0;
    }
    long n2 = other.count;
    for (int a = 0; a < dim; a++) {
      for (int b = a; b < dim; b++) {
        double s = other.scatter[a * dim + b];
        if (!sameShift) {
          s += other.sum[a] * delta[b] + delta[a] * other.sum[b] + n2 * delta[a] * delta[b];
        }
        scatter[a * dim + b] += s;
      }
    }
    for (int j = 0; j < dim; j++) {
      sum[j] += other.sum[j] + (sameShift ? 0 : n2 * delta[j]);
    }
    count += n2;
    return this;
  }

  /** μ and the unbiased Σ (divisor n − 1) of everything added so far. */
  public Gaussian gaussian() {
    flush();
    if (count < 2) {
      throw new IllegalStateException(
          "a covariance needs at least 2 feature vectors, got " + count);
    }
    double n = count;
    double[] mean = new double[dim];
    double[] centredMean = new double[dim];
    for (int j = 0; j < dim; j++) {
      centredMean[j] = sum[j] / n;
      mean[j] = shift[j] + centredMean[j];
    }
    // Σ = (S − n·m mᵀ) / (n − 1) with m the mean of the shifted rows.
    double[] cov = new double[dim * dim];
    for (int a = 0; a < dim; a++) {
      for (int b = a; b < dim; b++) {
        double v = (scatter[a * dim + b] - n * centredMean[a] * centredMean[b]) / (n - 1);
        cov[a * dim + b] = v;
        cov[b * dim + a] = v;
      }
    }
    return new Gaussian(mean, cov, count);
  }

  /**
   * Flat form {@code [dim, count, hasShift, shift(dim), sum(dim), upper triangle of the scatter
   * row by row (dim(dim+1)/2)]}.
   */
  public double[] toArray() {
    flush();
    int tri = dim * (dim + 1) / 2;
    double[] out = new double[3 + 2 * dim + tri];
    out[0] = dim;
    out[1] = count;
    out[2] = shift == null ? 0 : 1;
    if (shift != null) {
      System.arraycopy(shift, 0, out, 3, dim);
    }
    System.arraycopy(sum, 0, out, 3 + dim, dim);
    int p = 3 + 2 * dim;
    for (int a = 0; a < dim; a++) {
      System.arraycopy(scatter, a * dim + a, out, p, dim - a);
      p += dim - a;
    }
    return out;
  }

  public static FeatureStatistics fromArray(double[] packed) {
    int dim = (int) packed[0];
    if (dim <= 0 || packed.length != 3 + 2 * dim + dim * (dim + 1) / 2) {
      throw new IllegalArgumentException("not a packed FeatureStatistics array");
    }
    FeatureStatistics s =
        new FeatureStatistics(dim, packed[2] != 0 ? Arrays.copyOfRange(packed, 3, 3 + dim) : null);
    s.count = (long) packed[1];
    System.arraycopy(packed, 3 + dim, s.sum, 0, dim);
    int p = 3 + 2 * dim;
    for (int a = 0; a < dim; a++) {
      System.arraycopy(packed, p, s.scatter, a * dim + a, dim - a);
      p += dim - a;
    }
    return s;
  }

  @Serial
  private void writeObject(ObjectOutputStream out) throws IOException {
    flush();
    block = null; // empty after the flush: not worth its 8 MB on the wire
    out.defaultWriteObject();
  }
}
