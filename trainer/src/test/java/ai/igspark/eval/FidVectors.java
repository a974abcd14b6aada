package ai.igspark.eval;

import static ai.igspark.eval.FixtureRandom.ints;

import ai.igspark.tensorfile.HostTensor;
import ai.igspark.tensorfile.Npy;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The metric test vectors of {@code fixtures/fid-vectors} (see its README.md), written by
 * src/test/python/gen_fid_vectors.py. Only expectations are stored there; the inputs are rebuilt
 * here from {@link FixtureRandom} with the generator's recipes, line for line (each recipe names
 * the generator section it mirrors). {@link FidVectorsTest} compares every rebuilt input with the
 * sha256 the generator recorded.
 */
public final class FidVectors {
  static final Path DIR = resourceDir();
  private static Map<String, String> expected;
  private static final Map<String, ACase> A_CACHE = new HashMap<>();
  private static final Map<String, BCase> B_CACHE = new HashMap<>();

  private FidVectors() {}

  private static Path resourceDir() {
    try {
      return Path.of(FidVectors.class.getResource("/fixtures/fid-vectors").toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  static HostTensor npy(String name) {
    return Npy.read(DIR.resolve(name + ".npy"));
  }

  static double[] doubles(String name) {
    return npy(name).toDoubles();
  }

  /** A d × d symmetric matrix from a stored row-major upper triangle ({@code a <= b}). */
  static double[] symmetricFromUpper(String name, int d) {
    double[] up = doubles(name);
    if (up.length != d * (d + 1) / 2) {
      throw new IllegalArgumentException(name + " is not the upper triangle of " + d + " x " + d);
    }
    double[] s = new double[d * d];
    int k = 0;
    for (int a = 0; a < d; a++) {
      for (int b = a; b < d; b++) {
        s[a * d + b] = up[k];
        s[b * d + a] = up[k];
        k++;
      }
    }
    return s;
  }

  /** A value of expected.csv as text. */
  static synchronized String text(String key) {
    if (expected == null) {
      Map<String, String> m = new HashMap<>();
      try {
        List<String> lines = Files.readAllLines(DIR.resolve("expected.csv"));
        for (String line : lines.subList(1, lines.size())) {
          String[] parts = line.split(",", 3);
          m.put(parts[0], parts[1]);
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      expected = m;
    }
    String v = expected.get(key);
    if (v == null) {
      throw new IllegalArgumentException("expected.csv has no " + key);
    }
    return v;
  }

  public static double expected(String key) {
    return Double.parseDouble(text(key));
  }

  // --- (a) Gaussians with exact covariances -------------------------------------------------

  private static final int A_LATENTS = 4;

  /**
   * The inputs of an a-case: Σk = HkᵀHk / (4096·mk) with Hk int8 (mk × d), μk multiples of 2^-16.
   */
  public record ACase(String name, int d, int m1, int m2, byte[] h1, byte[] h2, double[] mu1,
      double[] mu2) {

    byte[] h(int which) {
      return which == 1 ? h1 : h2;
    }

    int m(int which) {
      return which == 1 ? m1 : m2;
    }

    public double[] mu(int which) {
      return (which == 1 ? mu1 : mu2).clone();
    }

    /** Σ by exact integer sums (every entry an exact double); plain loops, for d ≤ 256. */
    public double[] sigma(int which) {
      byte[] h = h(which);
      int rows = m(which);
      long[] acc = new long[d * d];
      for (int i = 0; i < rows; i++) {
        for (int a = 0; a < d; a++) {
          long ha = h[i * d + a];
          if (ha == 0) {
            continue;
          }
          for (int b = a; b < d; b++) {
            acc[a * d + b] += ha * h[i * d + b];
          }
        }
      }
      double scale = 4096.0 * rows;
      double[] s = new double[d * d];
      for (int a = 0; a < d; a++) {
        for (int b = a; b < d; b++) {
          double v = acc[a * d + b] / scale;
          s[a * d + b] = v;
          s[b * d + a] = v;
        }
      }
      return s;
    }

    /** Σ through {@code la.addGram}: the integer sums stay below 2^53, so still exact. */
    double[] sigma(int which, LinearAlgebra la) {
      byte[] h = h(which);
      int rows = m(which);
      double[] hd = new double[rows * d];
      for (int i = 0; i < hd.length; i++) {
        hd[i] = h[i];
      }
      double[] s = new double[d * d];
      la.addGram(hd, rows, d, s);
      double scale = 4096.0 * rows;
      for (int a = 0; a < d; a++) {
        for (int b = a; b < d; b++) {
          double v = s[a * d + b] / scale;
          s[a * d + b] = v;
          s[b * d + a] = v;
        }
      }
      return s;
    }

    Gaussian gaussian(int which) {
      return new Gaussian(mu(which), sigma(which), 0);
    }

    Gaussian gaussian(int which, LinearAlgebra la) {
      return new Gaussian(mu(which), sigma(which, la), 0);
    }
  }

  /** Generator section (a): the case table A_CASES. */
  public static synchronized ACase a(String name) {
    return A_CACHE.computeIfAbsent(name, n -> switch (n) {
      case "a1_d8" -> aCase(n, 1, 8, 16, 32, false, 17000);
      case "a2_d64" -> aCase(n, 2, 64, 256, 128, true, 2300);
      case "a3_d256" -> aCase(n, 3, 256, 1024, 64, false, 17000);
      case "a4_d2048" -> aCase(n, 4, 2048, 512, 2048, false, 17000);
      default -> throw new IllegalArgumentException("no a-case " + n);
    });
  }

  static Gaussian gaussian(String name, int which) {
    return a(name).gaussian(which);
  }

  private static long[] gains(int d, long top, long knee, boolean permuted) {
    long[] g = new long[d];
    for (int j = 0; j < d; j++) {
      long jj = permuted ? (5L * j + 3) % d : j;
      g[j] = 4 + (top * knee) / (knee + jj);
    }
    return g;
  }

  private static byte[] hMatrix(long tag0, int m, int d, long[] g, long[] loads) {
    long[] e1 = ints(tag0 + 1, m * d, -8, 8);
    long[] e2 = ints(tag0 + 2, m * d, -8, 8);
    long[] t = ints(tag0 + 3, m * A_LATENTS, -6, 6);
    byte[] h = new byte[m * d];
    for (int i = 0; i < m; i++) {
      for (int j = 0; j < d; j++) {
        long raw = (e1[i * d + j] + e2[i * d + j]) * g[j];
        for (int l = 0; l < A_LATENTS; l++) {
          raw += t[i * A_LATENTS + l] * loads[l * d + j];
        }
        long v = Math.floorDiv(raw + 8, 16);
        h[i * d + j] = (byte) Math.max(-127, Math.min(127, v));
      }
    }
    return h;
  }

  private static ACase aCase(String name, int index, int d, int m1, int m2, boolean close,
      long w) {
    long base = 1000L * index;
    long[] g1 = gains(d, 92, 32, false);
    long[] l1 = ints(base + 4, A_LATENTS * d, -20, 20);
    long[] g2 = close ? g1 : gains(d, 110, 24, true);
    long[] l2 = close ? l1 : ints(base + 8, A_LATENTS * d, -20, 20);
    byte[] h1 = hMatrix(base, m1, d, g1, l1);
    byte[] h2 = hMatrix(base + 4, m2, d, g2, l2);
    long[] mu1 = ints(base + 9, d, 0, 52428);
    long[] shift = ints(base + 10, d, -w, w);
    double[] mu1d = new double[d];
    double[] mu2d = new double[d];
    for (int j = 0; j < d; j++) {
      mu1d[j] = mu1[j] / 65536.0;
      mu2d[j] = (mu1[j] + shift[j]) / 65536.0;
    }
    return new ACase(name, d, m1, m2, h1, h2, mu1d, mu2d);
  }

  // --- (b) raw float64 feature matrices -----------------------------------------------------

  private static final int B_LATENTS = 6;

  /** A b-case: features X1 (n1 × d) and X2 (n2 × d), row-major. */
  record BCase(String name, int d, int n1, int n2, double[] x1, double[] x2) {
    double[] x(int which) {
      return (which == 1 ? x1 : x2).clone();
    }

    int n(int which) {
      return which == 1 ? n1 : n2;
    }
  }

  /** Generator section (b): the case table B_CASES. */
  static synchronized BCase b(String name) {
    return B_CACHE.computeIfAbsent(name, n -> switch (n) {
      case "b1_500x64" -> bCase(n, 1, 64, 500, 400);
      case "b2_3000x256" -> bCase(n, 2, 256, 3000, 1500);
      default -> throw new IllegalArgumentException("no b-case " + n);
    });
  }

  private static long[] bLoadings(long tagRest, long tagFirst, int d) {
    long[] load = new long[B_LATENTS * d];
    long[] first = ints(tagFirst, d, 60, 100);
    long[] rest = ints(tagRest, (B_LATENTS - 1) * d, -40, 40);
    System.arraycopy(first, 0, load, 0, d);
    System.arraycopy(rest, 0, load, d, rest.length);
    return load;
  }

  private static double[] bFeatures(long[] offset, long[] q, long[] load, long[] t, long[] e,
      int n, int d) {
    double[] x = new double[n * d];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < d; j++) {
        long r = offset[j] + e[i * d + j];
        for (int l = 0; l < B_LATENTS; l++) {
          r += t[i * B_LATENTS + l] * load[l * d + j];
        }
        x[i * d + j] = (double) Math.max(r, 0) / (double) q[j];
      }
    }
    return x;
  }

  private static BCase bCase(String name, int index, int d, int n1, int n2) {
    long base = 5000 + 1000L * index;
    long[] b = ints(base + 1, d, 1500, 3000);
    long[] q = ints(base + 2, d, 700, 1300);
    long[] la = bLoadings(base + 3, base + 4, d);
    long[] lb = bLoadings(base + 5, base + 6, d);
    long[] t1 = ints(base + 7, n1 * B_LATENTS, -16, 16);
    long[] e1 = ints(base + 8, n1 * d, -500, 500);
    long[] t2 = ints(base + 9, n2 * B_LATENTS, -16, 16);
    long[] e2 = ints(base + 10, n2 * d, -500, 500);
    long[] b2 = new long[d];
    for (int j = 0; j < d; j++) {
      b2[j] = b[j] + b[j] / 10;
    }
    long[] l2 = new long[la.length];
    for (int i = 0; i < la.length; i++) {
      l2[i] = Math.floorDiv(7 * la[i] + 3 * lb[i], 10);
    }
    return new BCase(name, d, n1, n2, bFeatures(b, q, la, t1, e1, n1, d),
        bFeatures(b2, q, l2, t2, e2, n2, d));
  }

  // --- (c) Inception Score ------------------------------------------------------------------

  static final int IS_N = 1000;
  static final int IS_C = 1008;

  /** Generator section (c): P[i, c] = float32(W[i, c] / Σc W[i, c]), row-major 1000 × 1008. */
  static float[] probabilities() {
    long[] u = ints(9001, IS_N, 0, 999);
    long[] v = ints(9002, IS_N, 0, 999);
    long[] x = ints(9003, IS_N, 0, 999);
    long[] w = ints(9004, IS_N * IS_C, 1, 32);
    long[] top = ints(9005, IS_N, 1000, 100000);
    float[] p = new float[IS_N * IS_C];
    for (int i = 0; i < IS_N; i++) {
      int cls = (int) (u[i] * v[i] * x[i] / 1000000);
      w[i * IS_C + cls] = top[i];
      long s = 0;
      for (int c = 0; c < IS_C; c++) {
        s += w[i * IS_C + c];
      }
      for (int c = 0; c < IS_C; c++) {
        p[i * IS_C + c] = (float) ((double) w[i * IS_C + c] / (double) s);
      }
    }
    return p;
  }

  // --- (d) precision / recall ---------------------------------------------------------------

  static final int PR_D = 16;
  static final int PR_REF = 300;
  static final int PR_SMP = 250;
  private static final int PR_OFF = 75;

  private static long[][] prSets() {
    long base = 10000 + 100L * (long) expected("d.attempt");
    long[] c = ints(base + 1, 4 * PR_D, -16, 16);
    long[] ur = ints(base + 2, PR_REF, -512, 512);
    long[] vr = ints(base + 3, PR_REF, -512, 512);
    long[] nr = ints(base + 4, PR_REF * PR_D, -48, 48);
    long[] us = ints(base + 5, PR_SMP, -320, 320);
    long[] vs = ints(base + 6, PR_SMP, -320, 320);
    long[] near = ints(base + 7, PR_SMP * PR_D, -48, 48);
    long[] far = ints(base + 8, PR_SMP * PR_D, -320, 320);
    long[] ref = new long[PR_REF * PR_D];
    for (int i = 0; i < PR_REF; i++) {
      for (int j = 0; j < PR_D; j++) {
        ref[i * PR_D + j] = sheet(c, ur[i], vr[i], j) + nr[i * PR_D + j];
      }
    }
    long[] smp = new long[PR_SMP * PR_D];
    for (int i = 0; i < PR_SMP; i++) {
      for (int j = 0; j < PR_D; j++) {
        long noise = i < PR_OFF ? far[i * PR_D + j] : near[i * PR_D + j];
        smp[i * PR_D + j] = sheet(c, 200 + us[i], vs[i], j) + noise;
      }
    }
    return new long[][] {ref, smp};
  }

  private static long sheet(long[] c, long u, long v, int j) {
    return Math.floorDiv(
        c[j] * u + c[PR_D + j] * v + c[2 * PR_D + j] * Math.floorDiv(u * u, 512)
            + c[3 * PR_D + j] * Math.floorDiv(u * v, 512),
        8);
  }

  private static double[] over1024(long[] v) {
    double[] out = new double[v.length];
    for (int i = 0; i < v.length; i++) {
      out[i] = v[i] / 1024.0;
    }
    return out;
  }

  /** Generator section (d): the reference set, 300 × 16 multiples of 2^-10. */
  static double[] prReference() {
    return over1024(prSets()[0]);
  }

  /** Generator section (d): the sample set, 250 × 16 multiples of 2^-10. */
  static double[] prSamples() {
    return over1024(prSets()[1]);
  }
}
