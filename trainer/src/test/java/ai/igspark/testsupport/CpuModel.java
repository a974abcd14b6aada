package ai.igspark.testsupport;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The CPU model as libtorch's kernel choice sees it: vendor, family, model and the widest vector
 * extension. CPU training is bitwise reproducible per model, not across models, so a test that
 * compares retrained bits keys its expected bytes by this signature.
 */
public final class CpuModel {
  private CpuModel() {}

  /** e.g. {@code AuthenticAMD family 25 model 1 avx2}; {@code unknown} without /proc/cpuinfo. */
  public static String signature() {
    try {
      return signature(Files.readAllLines(Path.of("/proc/cpuinfo")));
    } catch (IOException e) { // no /proc (not Linux) or not readable
      return "unknown";
    }
  }

  /** The signature of the first processor in the given /proc/cpuinfo lines. */
  static String signature(List<String> cpuinfoLines) {
    Map<String, String> first = new LinkedHashMap<>();
    for (String line : cpuinfoLines) {
      if (line.isBlank() && !first.isEmpty()) {
        break;
      }
      int colon = line.indexOf(':');
      if (colon > 0) {
        first.putIfAbsent(line.substring(0, colon).trim(), line.substring(colon + 1).trim());
      }
    }
    String flags = " " + first.getOrDefault("flags", "") + " ";
    String vector = flags.contains(" avx512f ") ? "avx512f"
        : flags.contains(" avx2 ") ? "avx2" : "novec";
    return first.getOrDefault("vendor_id", "unknown") + " family "
        + first.getOrDefault("cpu family", "?") + " model " + first.getOrDefault("model", "?")
        + " " + vector;
  }
}
