package ai.igspark.eval;

import ai.igspark.data.format.HostTensor;
import ai.igspark.data.format.Npy;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** The shared test vectors of reference/fid-vectors (see its README). */
final class FidVectors {
  static final Path DIR =
      Path.of(System.getProperty("igspark.shared.dir"), "reference", "fid-vectors");
  private static Map<String, String> expected;

  private FidVectors() {}

  static HostTensor npy(String name) {
    return Npy.read(DIR.resolve(name + ".npy"));
  }

  static double[] doubles(String name) {
    return npy(name).toDoubles();
  }

  static synchronized double expected(String key) {
    if (expected == null) {
      expected = new HashMap<>();
      try {
        List<String> lines = Files.readAllLines(DIR.resolve("expected.csv"));
        for (String line : lines.subList(1, lines.size())) {
          String[] parts = line.split(",", 3);
          expected.put(parts[0], parts[1]);
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    String v = expected.get(key);
    if (v == null) {
      throw new IllegalArgumentException("expected.csv has no " + key);
    }
    return Double.parseDouble(v);
  }

  /** Σ = HᵀH / (4096·m) of an a-case (README (a)): integer sums, exact in double. */
  static double[] sigmaFromH(String name, int m, LinearAlgebra la) {
    HostTensor h = npy(name);
    int rows = (int) h.shape()[0];
    int d = (int) h.shape()[1];
    double[] hd = new double[rows * d];
    long[] ints = h.toLongs();
    for (int i = 0; i < hd.length; i++) {
      hd[i] = ints[i];
    }
    double[] s = new double[d * d];
    la.addGram(hd, rows, d, s);
    double scale = 4096.0 * m;
    for (int a = 0; a < d; a++) {
      for (int b = a; b < d; b++) {
        double v = s[a * d + b] / scale;
        s[a * d + b] = v;
        s[b * d + a] = v;
      }
    }
    return s;
  }

  static Gaussian gaussian(String prefix, int which) {
    double[] mu = doubles(prefix + "_mu" + which);
    return new Gaussian(mu, doubles(prefix + "_sigma" + which), 0);
  }
}
