package ai.igspark.bench;

import java.util.Arrays;

/** Repeated wall-clock measurements of one variant, in seconds. */
public record Timings(String variant, int threads, double[] seconds) {

  public Timings {
    if (seconds.length == 0) {
      throw new IllegalArgumentException(variant + ": no measurements");
    }
    seconds = seconds.clone();
  }

  public double min() {
    return Arrays.stream(seconds).min().orElseThrow();
  }

  /** The median (the mean of the middle two for an even count). */
  public double median() {
    double[] s = seconds.clone();
    Arrays.sort(s);
    int n = s.length;
    return n % 2 == 1 ? s[n / 2] : 0.5 * (s[n / 2 - 1] + s[n / 2]);
  }

  /** Every measurement, comma separated, in milliseconds. */
  public String allMillis() {
    StringBuilder b = new StringBuilder();
    for (double v : seconds) {
      b.append(b.length() == 0 ? "" : ", ").append(String.format("%.0f", v * 1e3));
    }
    return b.toString();
  }
}
