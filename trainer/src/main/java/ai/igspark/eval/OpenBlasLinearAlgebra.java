package ai.igspark.eval;

import static org.bytedeco.openblas.global.openblas.CblasNoTrans;
import static org.bytedeco.openblas.global.openblas.CblasRowMajor;
import static org.bytedeco.openblas.global.openblas.CblasTrans;
import static org.bytedeco.openblas.global.openblas.CblasUpper;
import static org.bytedeco.openblas.global.openblas.LAPACKE_dgesdd;
import static org.bytedeco.openblas.global.openblas.LAPACKE_dsyevd;
import static org.bytedeco.openblas.global.openblas.LAPACK_ROW_MAJOR;
import static org.bytedeco.openblas.global.openblas.cblas_dgemm;
import static org.bytedeco.openblas.global.openblas.cblas_dsyrk;
import static org.bytedeco.openblas.global.openblas_full.openblas_get_num_threads;
import static org.bytedeco.openblas.global.openblas_full.openblas_set_num_threads;

import org.bytedeco.javacpp.Loader;
import org.bytedeco.openblas.global.openblas;
import org.bytedeco.openblas.global.openblas_full;

/**
 * LAPACK/BLAS through bytedeco's OpenBLAS (natives bundled in the Maven jar, nothing downloaded).
 * {@code dsyevd} (divide and conquer) for eigen-decompositions, {@code dgesdd} for singular values,
 * {@code dsyrk}/{@code dgemm} for products.
 *
 * <p>Threads: OpenBLAS runs single-threaded unless the system property {@value #THREADS_PROPERTY}
 * (or the environment variable {@code OPENBLAS_NUM_THREADS}) asks for more. Measured on the shared
 * 2-core machine (docs/benchmarks/metrics.md): with other jobs on the cores, a d = 2048 FID took
 * 4.8–144 s with 2 threads (the workers spin-wait) but a steady 4.8–9.6 s with one, which meets the
 * 10 s target; Spark executors already parallelise across tasks.
 */
public final class OpenBlasLinearAlgebra implements LinearAlgebra {

  public static final String THREADS_PROPERTY = "igspark.openblas.threads";

  private OpenBlasLinearAlgebra() {}

  /** Loads the natives; throws a {@link LinkageError} when the platform has none. */
  public static OpenBlasLinearAlgebra load() {
    Loader.load(openblas.class);
    Loader.load(openblas_full.class); // the thread controls; same libopenblas underneath
    String threads = System.getProperty(THREADS_PROPERTY);
    if (threads != null) {
      openblas_set_num_threads(Integer.parseInt(threads.trim()));
    } else if (System.getenv("OPENBLAS_NUM_THREADS") == null) {
      openblas_set_num_threads(1);
    }
    return new OpenBlasLinearAlgebra();
  }

  /** Worker threads OpenBLAS uses. */
  public int threads() {
    return openblas_get_num_threads();
  }

  @Override
  public String name() {
    return "openblas";
  }

  @Override
  public void addGram(double[] a, int rows, int cols, double[] c) {
    cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, cols, rows, 1.0, a, cols, 1.0, c, cols);
  }

  @Override
  public double[] multiplyTransA(double[] a, double[] b, int k, int m, int n) {
    double[] out = new double[m * n];
    cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, m, n, k, 1.0, a, m, b, n, 0.0, out, n);
    return out;
  }

  @Override
  public double[] multiplyTransB(double[] a, double[] b, int m, int n, int k) {
    double[] out = new double[m * n];
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, n, k, 1.0, a, k, b, k, 0.0, out, n);
    return out;
  }

  @Override
  public SymmetricEigen symmetricEigen(double[] symmetric, int d, boolean vectors) {
    double[] a = symmetric.clone();
    double[] w = new double[d];
    int info =
        LAPACKE_dsyevd(LAPACK_ROW_MAJOR, (byte) (vectors ? 'V' : 'N'), (byte) 'U', d, a, d, w);
    if (info != 0) {
      throw new ArithmeticException("LAPACKE_dsyevd failed to converge (info " + info + ")");
    }
    return new SymmetricEigen(w, vectors ? a : null);
  }

  @Override
  public double[] singularValues(double[] a, int m, int n) {
    double[] s = new double[Math.min(m, n)];
    if (s.length == 0) {
      return s;
    }
    int info =
        LAPACKE_dgesdd(
            LAPACK_ROW_MAJOR, (byte) 'N', m, n, a.clone(), n, s, new double[1], 1, new double[1],
            1);
    if (info != 0) {
      throw new ArithmeticException("LAPACKE_dgesdd failed to converge (info " + info + ")");
    }
    return s;
  }
}
