package ai.igspark.eval;

/**
 * Fréchet distance of two Gaussians (FID on pool features, sFID on spatial features):
 * {@code ‖μ1−μ2‖² + tr Σ1 + tr Σ2 − 2·tr (Σ1Σ2)^{1/2}} (evaluation.md §1).
 *
 * <p>The trace of the square root is computed by the factor-SVD route of evaluation.md §5.1 (B),
 * never by a general matrix square root: factor each covariance as {@code Σ = F Fᵀ} from its
 * symmetric eigen-decomposition, dropping eigenvalues {@code ≤ d·ε·λmax} (numerically zero), and
 * sum the singular values of {@code F1ᵀ F2}. It never takes the square root of a noisy eigenvalue,
 * so singular covariances (fewer samples than dimensions) stay exact to ~1e-13, where sqrtm-like
 * code is off by 1e-6…2e-5 (§5.2). The reference side's factor is computed once per instance.
 *
 * <p>A slightly negative result (identical sets, rounding) is returned as it is, not clamped.
 */
public final class FrechetDistance {
  private static final System.Logger LOG = System.getLogger(FrechetDistance.class.getName());

  /** Eigenvalues at or below this fraction (times d) of the largest are numerically zero (§5.1). */
  private static final double EPS = Math.ulp(1.0);

  private final Gaussian reference;
  private final LinearAlgebra linearAlgebra;
  private final Factor referenceFactor;

  /** The terms of one distance; {@code value} is the FID/sFID. */
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

  private FrechetDistance(Gaussian reference, LinearAlgebra linearAlgebra) {
    this.reference = reference;
    this.linearAlgebra = linearAlgebra;
    this.referenceFactor = factor(reference);
  }

  /** Factorises the reference covariance once; call {@link #to} for every evaluation. */
  public static FrechetDistance against(Gaussian reference) {
    return new FrechetDistance(reference, LinearAlgebra.preferred());
  }

  public static FrechetDistance against(Gaussian reference, LinearAlgebra linearAlgebra) {
    return new FrechetDistance(reference, linearAlgebra);
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
    Factor f2 = factor(other);
    Factor f1 = referenceFactor;
    double traceSqrt = 0;
    if (f1.rank > 0 && f2.rank > 0) {
      // tr (Σ1Σ2)^{1/2} = nuclear norm of F1ᵀF2 (evaluation.md §1, §5.1 B).
      double[] k = linearAlgebra.multiplyTransA(f1.f, f2.f, d, f1.rank, f2.rank);
      for (double s : linearAlgebra.singularValues(k, f1.rank, f2.rank)) {
        traceSqrt += s;
      }
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
    return new Result(value, meanTerm, tr1, tr2, traceSqrt, f1.rank, f2.rank);
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
