package ai.igspark.bench;

import java.util.Arrays;

/**
 * Repeated measurements of one variant, in seconds: wall clock, and optionally the process CPU
 * time of the same calls (all threads), which depends far less on how busy a shared machine is.
 *
 * @param cpuSeconds CPU seconds per call, or null when not measured
 */
public record Timings(String variant, int threads, double[] seconds, double[] cpuSeconds) {

  public Timings {
    if (seconds.length == 0) {
      throw new IllegalArgumentException(variant + ": no measurements");
    }
    if (cpuSeconds != null && cpuSeconds.length != seconds.length) {
      throw new IllegalArgumentException(variant + ": CPU and wall counts differ");
    }
    seconds = seconds.clone();
    cpuSeconds = cpuSeconds == null ? null : cpuSeconds.clone();
  }

  public Timings(String variant, int threads, double[] seconds) {
    this(variant, threads, seconds, null);
  }

  /** Median CPU seconds per call (NaN when not measured). */
  public double medianCpu() {
    return cpuSeconds == null ? Double.NaN : new Timings(variant, threads, cpuSeconds).median();
  }

  /** Minimum CPU seconds per call (NaN when not measured). */
  public double minCpu() {
    return cpuSeconds == null ? Double.NaN : new Timings(variant, threads, cpuSeconds).min();
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
