package ai.igspark.eval;

import ai.igspark.data.InvalidInputException;
import java.util.Arrays;

/**
 * Improved precision and recall (Kynkäänniemi et al. 2019) as the ADM suite defines them
 * (docs/METRICS.md §1, §2.5): squared Euclidean distances; the radius of a point is the squared
 * distance to its k-th nearest neighbour in its own set, self excluded (k = 3); precision = share
 * of samples within {@code <=} the radius of some reference point, recall = share of reference
 * points within {@code <=} the radius of some sample.
 *
 * <p>Distances are computed in double ({@code ‖u‖² − 2u·v + ‖v‖²}, clamped at 0, the cross term by
 * one GEMM per block) over blocks of rows × columns, so 50k × 10k never needs an n × n matrix; the
 * blocking does not change any decision. ADM computes the distances in float16; double precision
 * differs from it only for points within ~0.1% of a ball boundary.
 */
public final class PrecisionRecall {
  /** ADM's neighbourhood size. */
  public static final int DEFAULT_K = 3;

  private static final int ROW_BLOCK = 1024;
  private static final int COL_BLOCK = 4096;

  private final int k;
  private final LinearAlgebra linearAlgebra;

  /**
   * @param referenceRadii squared k-NN radius of every reference row
   * @param sampleRadii squared k-NN radius of every sample row
   * @param sampleInReferenceManifold per sample: inside some reference ball (precision numerator)
   * @param referenceInSampleManifold per reference row: inside some sample ball (recall numerator)
   */
  public record Result(
      double precision,
      double recall,
      double[] referenceRadii,
      double[] sampleRadii,
      boolean[] sampleInReferenceManifold,
      boolean[] referenceInSampleManifold) {}

  private PrecisionRecall(int k, LinearAlgebra linearAlgebra) {
    if (k <= 0) {
      throw new IllegalArgumentException("k must be positive, got " + k);
    }
    this.k = k;
    this.linearAlgebra = linearAlgebra;
  }

  public static PrecisionRecall adm() {
    return new PrecisionRecall(DEFAULT_K, LinearAlgebra.preferred());
  }

  public static PrecisionRecall withK(int k, LinearAlgebra linearAlgebra) {
    return new PrecisionRecall(k, linearAlgebra);
  }

  public int k() {
    return k;
  }

  public Result compute(FeatureMatrix reference, FeatureMatrix samples) {
    if (reference.cols() != samples.cols()) {
      throw new InvalidInputException(
          "precision/recall: reference features have dimension " + reference.cols()
              + " but sample features have dimension " + samples.cols());
    }
    requireRows("reference", reference);
    requireRows("sample", samples);
    double[] refRadii = radii(reference);
    double[] sampleRadii = radii(samples);
    boolean[] sampleIn = new boolean[samples.rows()];
    boolean[] refIn = new boolean[reference.rows()];
    double[] sampleNorms = norms(samples);
    double[] refNorms = norms(reference);
    forEachDistanceBlock(samples, sampleNorms, reference, refNorms, (i0, j0, rows, cols, dist) -> {
      for (int i = 0; i < rows; i++) {
        for (int j = 0; j < cols; j++) {
          double dd = dist[i * cols + j];
          if (dd <= refRadii[j0 + j]) {
            sampleIn[i0 + i] = true;
          }
          if (dd <= sampleRadii[i0 + i]) {
            refIn[j0 + j] = true;
          }
        }
      }
    });
    return new Result(share(sampleIn), share(refIn), refRadii, sampleRadii, sampleIn, refIn);
  }

  private void requireRows(String which, FeatureMatrix m) {
    if (m.rows() <= k) {
      throw new InvalidInputException(
          "precision/recall with k = " + k + " needs at least " + (k + 1) + " " + which
              + " feature vectors (a point's k-th neighbour excludes itself), got " + m.rows());
    }
  }

  /** Squared distance from every row to its k-th nearest other row of the same set. */
  double[] radii(FeatureMatrix x) {
    double[] norms = norms(x);
    int n = x.rows();
    double[] nearest = new double[n * k]; // per row, the k smallest so far, ascending
    Arrays.fill(nearest, Double.POSITIVE_INFINITY);
    forEachDistanceBlock(x, norms, x, norms, (i0, j0, rows, cols, dist) -> {
      for (int i = 0; i < rows; i++) {
        int base = (i0 + i) * k;
        for (int j = 0; j < cols; j++) {
          if (i0 + i == j0 + j) {
            continue; // self
          }
          double dd = dist[i * cols + j];
          if (dd < nearest[base + k - 1]) {
            int p = k - 1;
            while (p > 0 && nearest[base + p - 1] > dd) {
              nearest[base + p] = nearest[base + p - 1];
              p--;
            }
            nearest[base + p] = dd;
          }
        }
      }
    });
    double[] r = new double[n];
    for (int i = 0; i < n; i++) {
      r[i] = nearest[i * k + k - 1];
    }
    return r;
  }

  private interface BlockVisitor {
    void visit(int rowStart, int colStart, int rows, int cols, double[] squaredDistances);
  }

  private void forEachDistanceBlock(
      FeatureMatrix a, double[] aNorms, FeatureMatrix b, double[] bNorms, BlockVisitor visitor) {
    int d = a.cols();
    for (int i0 = 0; i0 < a.rows(); i0 += ROW_BLOCK) {
      int rows = Math.min(ROW_BLOCK, a.rows() - i0);
      double[] ablock = a.block(i0, rows);
      for (int j0 = 0; j0 < b.rows(); j0 += COL_BLOCK) {
        int cols = Math.min(COL_BLOCK, b.rows() - j0);
        double[] bblock = b.block(j0, cols);
        double[] g = linearAlgebra.multiplyTransB(ablock, bblock, rows, cols, d);
        for (int i = 0; i < rows; i++) {
          for (int j = 0; j < cols; j++) {
            double dd = aNorms[i0 + i] - 2 * g[i * cols + j] + bNorms[j0 + j];
            g[i * cols + j] = Math.max(dd, 0.0);
          }
        }
        visitor.visit(i0, j0, rows, cols, g);
      }
    }
  }

  private static double[] norms(FeatureMatrix x) {
    double[] out = new double[x.rows()];
    int d = x.cols();
    for (int i0 = 0; i0 < x.rows(); i0 += ROW_BLOCK) {
      int rows = Math.min(ROW_BLOCK, x.rows() - i0);
      double[] block = x.block(i0, rows);
      for (int i = 0; i < rows; i++) {
        double s = 0;
        for (int j = 0; j < d; j++) {
          s += block[i * d + j] * block[i * d + j];
        }
        out[i0 + i] = s;
      }
    }
    return out;
  }

  private static double share(boolean[] flags) {
    int c = 0;
    for (boolean f : flags) {
      if (f) {
        c++;
      }
    }
    return (double) c / flags.length;
  }
}
