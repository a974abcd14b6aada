package ai.igspark.eval;

/**
 * Mean and unbiased covariance of a feature set (docs/METRICS.md §1): what FID compares.
 *
 * @param mean μ, length d
 * @param covariance Σ (divisor n − 1), d × d row-major, symmetric
 * @param count number of feature vectors behind it; 0 when unknown (statistics read from a file)
 */
public record Gaussian(double[] mean, double[] covariance, long count) {

  public Gaussian {
    if ((long) mean.length * mean.length != covariance.length) {
      throw new IllegalArgumentException(
          "covariance of length " + covariance.length + " does not match a mean of length "
              + mean.length);
    }
  }

  public int dim() {
    return mean.length;
  }

  public double trace() {
    int d = dim();
    double t = 0;
    for (int i = 0; i < d; i++) {
      t += covariance[i * d + i];
    }
    return t;
  }
}
