package ai.igspark.eval;

/**
 * The dense double-precision kernels the metrics need. Matrices are row-major {@code double[]}.
 *
 * <p>Two implementations run the same code paths and the same test vectors: {@link
 * OpenBlasLinearAlgebra} (LAPACK/BLAS through bytedeco's bundled OpenBLAS, the default: about 15×
 * faster at d = 2048, see docs/benchmarks/metrics.md) and {@link EjmlLinearAlgebra} (pure Java, the
 * fallback when the natives cannot load).
 */
public interface LinearAlgebra {

  /** Eigenvalues in ascending order and, when asked for, the eigenvectors as columns. */
  record SymmetricEigen(double[] values, double[] vectors) {}

  String name();

  /**
   * {@code c += aᵀa} for {@code a} (rows × cols) and {@code c} (cols × cols). Only the upper
   * triangle of {@code c} (column ≥ row) is guaranteed to be updated; the lower one is undefined.
   */
  void addGram(double[] a, int rows, int cols, double[] c);

  /** {@code aᵀ b} for {@code a} (k × m) and {@code b} (k × n): an m × n result. */
  double[] multiplyTransA(double[] a, double[] b, int k, int m, int n);

  /** {@code a bᵀ} for {@code a} (m × k) and {@code b} (n × k): an m × n result. */
  double[] multiplyTransB(double[] a, double[] b, int m, int n, int k);

  /** Eigen-decomposition of a symmetric d × d matrix (the input is left unchanged). */
  SymmetricEigen symmetricEigen(double[] symmetric, int d, boolean vectors);

  /** Singular values of an m × n matrix, any order (the input is left unchanged). */
  double[] singularValues(double[] a, int m, int n);

  /** OpenBLAS when its natives load on this platform, EJML otherwise. */
  static LinearAlgebra preferred() {
    return Preferred.INSTANCE;
  }

  /** Holder so the native load is attempted once, on first use. */
  final class Preferred {
    static final LinearAlgebra INSTANCE = choose();

    private Preferred() {}

    private static LinearAlgebra choose() {
      try {
        return OpenBlasLinearAlgebra.load();
      } catch (LinkageError | RuntimeException e) {
        System.getLogger(LinearAlgebra.class.getName())
            .log(
                System.Logger.Level.WARNING,
                "OpenBLAS natives did not load ({0}); using EJML, about 15x slower at d = 2048",
                e.toString());
        return new EjmlLinearAlgebra();
      }
    }
  }
}
