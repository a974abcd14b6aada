package ai.igspark.eval;

import ai.igspark.data.InvalidInputException;
import ai.igspark.tensorfile.HostTensor;
import ai.igspark.tensorfile.Npz;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * ADM-style statistics in an {@code .npz} (docs/METRICS.md §2.1): {@code mu}/{@code sigma} for the
 * 2048-d pool features, optionally {@code mu_s}/{@code sigma_s} for the spatial (sFID) features.
 * Other keys (e.g. {@code arr_0}, {@code mu_clip}) are ignored, as the ADM evaluator does.
 */
public final class AdmStatistics {
  public static final String MU = "mu";
  public static final String SIGMA = "sigma";
  public static final String MU_S = "mu_s";
  public static final String SIGMA_S = "sigma_s";

  private AdmStatistics() {}

  /** True when the archive carries pool statistics ({@code mu}), as ADM's read_statistics asks. */
  public static boolean present(Npz npz) {
    return npz.has(MU);
  }

  /** {@code mu}/{@code sigma}; the archive must hold them. */
  public static Gaussian pool(Npz npz) {
    return read(npz, MU, SIGMA);
  }

  /** {@code mu_s}/{@code sigma_s} when present. */
  public static Optional<Gaussian> spatial(Npz npz) {
    if (!npz.has(MU_S) && !npz.has(SIGMA_S)) {
      return Optional.empty();
    }
    return Optional.of(read(npz, MU_S, SIGMA_S));
  }

  static Gaussian read(Npz npz, String muKey, String sigmaKey) {
    for (String key : new String[] {muKey, sigmaKey}) {
      if (!npz.has(key)) {
        throw new InvalidInputException(
            npz.file() + ": has '" + (key.equals(muKey) ? sigmaKey : muKey) + "' but no '" + key
                + "' (the archive holds: " + String.join(", ", npz.keys()) + ")");
      }
    }
    HostTensor mu = npz.read(muKey);
    HostTensor sigma = npz.read(sigmaKey);
    long[] ms = mu.shape();
    long[] ss = sigma.shape();
    if (!mu.dtype().isFloatingPoint() || !sigma.dtype().isFloatingPoint()) {
      throw new InvalidInputException(
          npz.file() + ": '" + muKey + "' is " + mu + " and '" + sigmaKey + "' is " + sigma
              + "; expected floating-point statistics");
    }
    if (ms.length != 1 || ss.length != 2 || ss[0] != ms[0] || ss[1] != ms[0]) {
      throw new InvalidInputException(
          npz.file() + ": '" + muKey + "' has shape " + Arrays.toString(ms) + " and '" + sigmaKey
              + "' has shape " + Arrays.toString(ss) + "; expected (d,) and (d, d)");
    }
    double[] m = mu.toDoubles();
    double[] s = sigma.toDoubles();
    for (double[] values : new double[][] {m, s}) {
      for (double v : values) {
        if (!Double.isFinite(v)) {
          throw new InvalidInputException(
              npz.file() + ": '" + muKey + "'/'" + sigmaKey + "' contain " + v
                  + "; statistics must be finite");
        }
      }
    }
    return new Gaussian(m, s, 0);
  }

  /** Writes {@code mu}, {@code sigma} (and {@code mu_s}, {@code sigma_s}) as float64. */
  public static void write(Path file, Gaussian pool, Gaussian spatial) {
    Map<String, HostTensor> arrays = new LinkedHashMap<>();
    put(arrays, MU, SIGMA, pool);
    if (spatial != null) {
      put(arrays, MU_S, SIGMA_S, spatial);
    }
    Npz.write(file, arrays);
  }

  private static void put(Map<String, HostTensor> arrays, String mu, String sigma, Gaussian g) {
    long d = g.dim();
    arrays.put(mu, HostTensor.ofDoubles(new long[] {d}, g.mean()));
    arrays.put(sigma, HostTensor.ofDoubles(new long[] {d, d}, g.covariance()));
  }
}
