package ai.igspark.eval;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Times the two costs of an evaluation that do not depend on the network: accumulating the
 * statistics of d-dimensional features, and the Fréchet distance of two full-rank d × d
 * statistics (both eigen-decompositions included, i.e. with no cached reference factor).
 * Features are synthetic: ReLU of correlated Gaussians, like Inception pool features.
 *
 * <p>{@code java ... ai.igspark.eval.MetricsBenchmark [openblas|ejml|both] [dim] [featuresPerSet]}
 * (defaults: both 2048 10000). The integrator wires it as {@code igspark bench metrics}.
 */
public final class MetricsBenchmark {

  /**
   * @param library kernels used ({@link LinearAlgebra#name()})
   * @param dim feature dimension d
   * @param featuresPerSet feature vectors accumulated per set (two sets)
   * @param accumulationFeaturesPerSecond statistics accumulation rate (n, Σx, Σxxᵀ in double)
   * @param fidSeconds one FID by factor-SVD from two statistics (the implementation of record)
   * @param fidSymmetricEigenSeconds the same by the symmetric-eigen route (A)
   * @param fid the FID value (both routes agree to ~1e-10 on full-rank input)
   * @param fidSymmetricEigen the FID by route (A)
   * @param loadAverage system load average when the run ended (the timings are only as quiet as
   *     the machine)
   * @param cores available processors
   */
  public record Result(
      String library,
      int dim,
      int featuresPerSet,
      double accumulationFeaturesPerSecond,
      double fidSeconds,
      double fidSymmetricEigenSeconds,
      double fid,
      double fidSymmetricEigen,
      double loadAverage,
      int cores) {}

  private MetricsBenchmark() {}

  public static Result run(LinearAlgebra kernels, int dim, int featuresPerSet, long seed) {
    if (featuresPerSet <= dim) {
      throw new IllegalArgumentException(
          "use more features than dimensions (" + featuresPerSet + " <= " + dim
              + ") so both covariances have full rank, as FID-50K's do");
    }
    Random rnd = new Random(seed);
    Accumulated a = accumulate(kernels, dim, featuresPerSet, rnd, 0.0f);
    Accumulated b = accumulate(kernels, dim, featuresPerSet, rnd, 0.05f);
    double accumulateSeconds = a.seconds + b.seconds;

    long t1 = System.nanoTime();
    double fid = FrechetDistance.against(a.gaussian, kernels).to(b.gaussian).value();
    double fidSeconds = (System.nanoTime() - t1) / 1e9;
    long t2 = System.nanoTime();
    double fidA =
        FrechetDistance.against(a.gaussian, kernels, FrechetDistance.Method.SYMMETRIC_EIGEN)
            .to(b.gaussian)
            .value();
    double fidASeconds = (System.nanoTime() - t2) / 1e9;
    return new Result(
        kernels.name(), dim, featuresPerSet, 2.0 * featuresPerSet / accumulateSeconds,
        fidSeconds, fidASeconds, fid, fidA,
        ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage(),
        Runtime.getRuntime().availableProcessors());
  }

  /** Statistics and the seconds spent accumulating them (feature generation excluded). */
  private record Accumulated(Gaussian gaussian, double seconds) {}

  /** Features arrive from the extractor in batches of 64 float32 rows, as in evaluation. */
  private static Accumulated accumulate(
      LinearAlgebra kernels, int dim, int n, Random rnd, float offset) {
    int batch = 64;
    int mix = 16;
    float[] basis = new float[mix * dim];
    for (int i = 0; i < basis.length; i++) {
      basis[i] = (float) rnd.nextGaussian() * 0.25f;
    }
    FeatureStatistics stats = FeatureStatistics.create(dim).using(kernels);
    float[] rows = new float[batch * dim];
    float[] z = new float[mix];
    long accumulating = 0;
    for (int done = 0; done < n; done += batch) {
      int m = Math.min(batch, n - done);
      for (int i = 0; i < m; i++) {
        for (int k = 0; k < mix; k++) {
          z[k] = (float) rnd.nextGaussian();
        }
        for (int j = 0; j < dim; j++) {
          float v = offset + 0.3f * (float) rnd.nextGaussian();
          for (int k = 0; k < mix; k++) {
            v += z[k] * basis[k * dim + j];
          }
          rows[i * dim + j] = Math.max(v, 0f);
        }
      }
      long t0 = System.nanoTime();
      stats.add(m == batch ? rows : java.util.Arrays.copyOf(rows, m * dim), m);
      accumulating += System.nanoTime() - t0;
    }
    long t0 = System.nanoTime();
    Gaussian g = stats.gaussian(); // flushes the last block and forms Σ
    accumulating += System.nanoTime() - t0;
    return new Accumulated(g, accumulating / 1e9);
  }

  public static void main(String[] args) {
    String which = args.length > 0 ? args[0] : "both";
    int dim = args.length > 1 ? Integer.parseInt(args[1]) : 2048;
    int n = args.length > 2 ? Integer.parseInt(args[2]) : 10000;
    List<LinearAlgebra> libs = new ArrayList<>();
    if (which.equals("openblas") || which.equals("both")) {
      libs.add(OpenBlasLinearAlgebra.load());
    }
    if (which.equals("ejml") || which.equals("both")) {
      libs.add(new EjmlLinearAlgebra());
    }
    if (libs.isEmpty()) {
      throw new IllegalArgumentException("library must be openblas, ejml or both: " + which);
    }
    System.out.printf(
        "%-9s %5s %8s %14s %11s %11s %20s %20s%n",
        "library", "d", "n/set", "accum feat/s", "FID (B) s", "FID (A) s", "FID (B)", "FID (A)");
    for (LinearAlgebra la : libs) {
      Result r = run(la, dim, n, 1);
      System.out.printf(
          "%-9s %5d %8d %14.0f %11.2f %11.2f %20.12f %20.12f  (load %.1f, %d cores)%n",
          r.library(), r.dim(), r.featuresPerSet(), r.accumulationFeaturesPerSecond(),
          r.fidSeconds(), r.fidSymmetricEigenSeconds(), r.fid(), r.fidSymmetricEigen(),
          r.loadAverage(), r.cores());
    }
  }
}
