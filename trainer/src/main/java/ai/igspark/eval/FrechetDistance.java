package ai.igspark.eval;

/**
 * Fréchet distance of two Gaussians (FID on pool features, sFID on spatial features):
 * {@code ‖μ1−μ2‖² + tr Σ1 + tr Σ2 − 2·tr (Σ1Σ2)^{1/2}} (docs/METRICS.md §1).
 *
 * <p>The trace of the square root is computed by the factor-SVD route of docs/METRICS.md §5.1 (B),
 * never by a general matrix square root: factor each covariance as {@code Σ = F Fᵀ} from its
 * symmetric eigen-decomposition, dropping eigenvalues {@code ≤ d·ε·λmax} (numerically zero), and
 * sum the singular values of {@code F1ᵀ F2}. It never takes the square root of a noisy eigenvalue,
 * so singular covariances (fewer samples than dimensions) stay exact to ~1e-13, where sqrtm-like
 * code is off by 1e-6…2e-5 (§5.2). The reference side's factor is computed once per instance.
 *
 * <p>{@link Method#SYMMETRIC_EIGEN} is route (A) of §5.1: {@code M = F1ᵀ Σ2 F1}, eigenvalues only,
 * those {@code ≤ 2^-53·max} set to 0, {@code tr = Σ √μ}. It avoids the second eigen-decomposition
 * with vectors and the SVD, so it is cheaper, and is good to ~1e-7 on singular covariances (enough
 * for monitoring curves); factor-SVD is the default and the implementation of record.
 *
 * <p>A slightly negative result (identical sets, rounding) is returned as it is, not clamped.
 */
public final class FrechetDistance {
  private static final System.Logger LOG = System.getLogger(FrechetDistance.class.getName());

  /** Eigenvalues at or below this fraction (times d) of the largest are numerically zero (§5.1). */
  private static final double EPS = Math.ulp(1.0);

  /** Eigenvalues of M at or below this fraction of the largest are zeroed in route (A) (§5.2). */
  private static final double M_EPS = Math.ulp(1.0) / 2;

  /** How tr (Σ1Σ2)^{1/2} is computed (docs/METRICS.md §5.1). */
  public enum Method {
    /** (B): singular values of F1ᵀF2; exact to ~1e-13 even for singular covariances. */
    FACTOR_SVD,
    /** (A): eigenvalues of F1ᵀΣ2F1 with 2^-53 zeroing; cheaper, ~1e-7 on singular ones. */
    SYMMETRIC_EIGEN
  }

  private final Gaussian reference;
  private final LinearAlgebra linearAlgebra;
  private final Method method;
  private final Factor referenceFactor;

  /**
   * The terms of one distance; {@code value} is the FID/sFID. Ranks are those of the kept factors
   * ({@code rankOther} is −1 for {@link Method#SYMMETRIC_EIGEN}, which does not factor it).
   */
  public record Result(
      double value,
      double meanTerm,
      double traceReference,
      double traceOther,
      double traceSqrt,
      int rankReference,
      int rankOther) {}

  /** {@code Σ = F Fᵀ}, F of shape d × rank, row-major. */
  private record Factor(double[] f, int rank) {}

  private FrechetDistance(Gaussian reference, LinearAlgebra linearAlgebra, Method method) {
    this.reference = reference;
    this.linearAlgebra = linearAlgebra;
    this.method = method;
    this.referenceFactor = factor(reference);
  }

  /** Factorises the reference covariance once; call {@link #to} for every evaluation. */
  public static FrechetDistance against(Gaussian reference) {
    return new FrechetDistance(reference, LinearAlgebra.preferred(), Method.FACTOR_SVD);
  }

  public static FrechetDistance against(Gaussian reference, LinearAlgebra linearAlgebra) {
    return new FrechetDistance(reference, linearAlgebra, Method.FACTOR_SVD);
  }

  public static FrechetDistance against(
      Gaussian reference, LinearAlgebra linearAlgebra, Method method) {
    return new FrechetDistance(reference, linearAlgebra, method);
  }

  /** One-off distance between two Gaussians. */
  public static Result between(Gaussian a, Gaussian b) {
    return against(a).to(b);
  }

  public Gaussian reference() {
    return reference;
  }

  public Result to(Gaussian other) {
    int d = reference.dim();
    if (other.dim() != d) {
      throw new IllegalArgumentException(
          "feature dimensions differ: reference " + d + ", other " + other.dim());
    }
    double meanTerm = 0;
    for (int i = 0; i < d; i++) {
      double diff = reference.mean()[i] - other.mean()[i];
      meanTerm += diff * diff;
    }
    Factor f1 = referenceFactor;
    int rankOther;
    double traceSqrt = 0;
    if (method == Method.FACTOR_SVD) {
      Factor f2 = factor(other);
      rankOther = f2.rank;
      if (f1.rank > 0 && f2.rank > 0) {
        // tr (Σ1Σ2)^{1/2} = nuclear norm of F1ᵀF2 (docs/METRICS.md §1, §5.1 B).
        double[] k = linearAlgebra.multiplyTransA(f1.f, f2.f, d, f1.rank, f2.rank);
        for (double s : linearAlgebra.singularValues(k, f1.rank, f2.rank)) {
          traceSqrt += s;
        }
      }
    } else {
      rankOther = -1;
      traceSqrt = traceSqrtSymmetric(f1, other.covariance(), d);
    }
    double tr1 = reference.trace();
    double tr2 = other.trace();
    double value = meanTerm + tr1 + tr2 - 2 * traceSqrt;
    if (value < 0) {
      LOG.log(
          System.Logger.Level.WARNING,
          "Frechet distance {0} is negative: it is below the rounding noise of its terms "
              + "(means {1}, traces {2} + {3}); reported as computed",
          value, meanTerm, tr1, tr2);
    }
    return new Result(value, meanTerm, tr1, tr2, traceSqrt, f1.rank, rankOther);
  }

  /** Route (A): Σ √μ over the eigenvalues μ of M = F1ᵀ Σ2 F1, zeroing μ ≤ 2^-53·max (§5.2). */
  private double traceSqrtSymmetric(Factor f1, double[] sigma2, int d) {
    int r = f1.rank;
    if (r == 0) {
      return 0;
    }
    double[] t = linearAlgebra.multiplyTransA(sigma2, f1.f, d, d, r); // Σ2ᵀF1 = Σ2F1
    double[] m = symmetrised(linearAlgebra.multiplyTransA(f1.f, t, d, r, r), r);
    double[] mu = linearAlgebra.symmetricEigen(m, r, false).values();
    double max = mu[r - 1];
    double tr = 0;
    for (double v : mu) {
      if (v > M_EPS * max) {
        tr += Math.sqrt(v);
      }
    }
    return tr;
  }

  private Factor factor(Gaussian g) {
    int d = g.dim();
    double[] sym = symmetrised(g.covariance(), d);
    LinearAlgebra.SymmetricEigen eig = linearAlgebra.symmetricEigen(sym, d, true);
    double[] w = eig.values();
    double max = w[d - 1];
    int first = 0;
    while (first < d && !(w[first] > d * EPS * max)) {
      first++;
    }
    int rank = d - first;
    double[] f = new double[d * rank];
    double[] u = eig.vectors();
    for (int c = 0; c < rank; c++) {
      double root = Math.sqrt(w[first + c]);
      for (int i = 0; i < d; i++) {
        f[i * rank + c] = u[i * d + first + c] * root;
      }
    }
    return new Factor(f, rank);
  }

  private static double[] symmetrised(double[] a, int d) {
    double[] s = new double[d * d];
    for (int i = 0; i < d; i++) {
      s[i * d + i] = a[i * d + i];
      for (int j = i + 1; j < d; j++) {
        double v = 0.5 * (a[i * d + j] + a[j * d + i]);
        s[i * d + j] = v;
        s[j * d + i] = v;
      }
    }
    return s;
  }
}
