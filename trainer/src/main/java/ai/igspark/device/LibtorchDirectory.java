package ai.igspark.device;

import ai.igspark.data.InvalidInputException;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Checks the libtorch that {@code PYTORCH_LIBRARY_PATH} points DJL at, before DJL loads it, with
 * the rules {@code bin/lib/gpu.sh} applies in {@code bin/igspark-submit --gpu}
 * (cluster-config/README.md, "Running on GPUs"):
 *
 * <ul>
 *   <li>DJL takes the first entry of the path list holding {@code libtorch.so}; it must also hold
 *       {@code libc10.so}, and with a CUDA flavor DJL's {@code libdjl_torch.so} (or {@code
 *       <djl version>-libdjl_torch.so}).
 *   <li>Its version is the first line of {@code build-version} in the directory or its parent (a
 *       libtorch zip: {@code libtorch/build-version} next to {@code libtorch/lib/}), else {@code
 *       __version__} in {@code ../version.py} (a pip wheel's {@code torch/lib}), else the name of a
 *       DJL cache directory ({@code 2.7.1-cu128-linux-x86_64}). The part before {@code +} must be
 *       {@value #VERSION}, the libtorch DJL 0.36's JNI library is built against.
 *   <li>With {@code PYTORCH_FLAVOR=cu…} it must be a CUDA build: {@code libtorch_cuda.so} present,
 *       no {@code +cpu} version, and a {@code +cuNNN} suffix equal to the flavor.
 *   <li>{@code PYTORCH_VERSION}, when set, must be {@value #VERSION} too.
 * </ul>
 */
public final class LibtorchDirectory {
  /** The libtorch version DJL 0.36 (pytorch-jni 2.7.1-0.36.0) loads. */
  public static final String VERSION = "2.7.1";
  /** The CUDA flavor DJL 0.36 ships libdjl_torch.so for on linux-x86_64. */
  public static final String DEFAULT_FLAVOR = "cu128";
  static final String HINT = "see cluster-config/README.md, \"Running on GPUs\"";

  private static final Pattern VERSION_PY =
      Pattern.compile("(?m)^__version__\\s*=\\s*['\"]([^'\"]+)['\"]");
  private static final Pattern CACHE_DIR =
      Pattern.compile("^(\\d+\\.\\d+\\.\\d+)(-\\d+)?-([a-z0-9]+)(-precxx11)?-(linux|osx|win)-.*");

  private LibtorchDirectory() {}

  /**
   * What was found.
   *
   * @param dir the directory DJL loads libtorch from
   * @param version its version ("2.7.1+cu128"), or null when it cannot be told (CPU flavors only)
   * @param versionSource the file (or "the directory name") the version came from
   * @param cuda whether it holds libtorch_cuda.so
   */
  public record Found(Path dir, String version, String versionSource, boolean cuda) {}

  /**
   * Checks the libtorch of this JVM's {@code PYTORCH_LIBRARY_PATH} (environment, else system
   * property, as DJL reads it); empty when it is unset, so DJL uses its own.
   */
  public static Optional<Found> checkThisJvm() {
    return check(
        name -> {
          String v = System.getenv(name);
          return v != null ? v : System.getProperty(name);
        });
  }

  /**
   * As {@link #checkThisJvm()} with the settings from {@code lookup} (tests).
   *
   * @throws InvalidInputException naming the setting and its value when a rule is broken
   */
  public static Optional<Found> check(UnaryOperator<String> lookup) {
    String path = lookup.apply("PYTORCH_LIBRARY_PATH");
    String version = lookup.apply("PYTORCH_VERSION");
    if (version != null && !version.isEmpty() && !version.startsWith(VERSION)) {
      throw new InvalidInputException(
          "PYTORCH_VERSION=" + version + ": DJL 0.36 loads libtorch " + VERSION + " (" + HINT
              + ")");
    }
    if (path == null || path.isEmpty()) {
      return Optional.empty();
    }
    String flavor = lookup.apply("PYTORCH_FLAVOR");
    boolean cudaFlavor = flavor != null && flavor.startsWith("cu");
    Path dir = null;
    for (String entry : path.split(File.pathSeparator)) {
      Path p = Path.of(entry);
      if (Files.isRegularFile(p) && p.getFileName().toString().equals("libtorch.so")) {
        dir = p.getParent();
        break;
      }
      if (Files.isRegularFile(p.resolve("libtorch.so"))) {
        dir = p;
        break;
      }
    }
    String key = "PYTORCH_LIBRARY_PATH=" + path;
    if (dir == null) {
      throw new InvalidInputException(
          key + ": no libtorch.so " + (path.contains(File.pathSeparator) ? "in any of these" : "in")
              + " (the lib/ directory of a libtorch " + VERSION + " distribution; " + HINT + ")");
    }
    return Optional.of(check(dir, key, cudaFlavor ? flavor : null));
  }

  /**
   * Checks one directory.
   *
   * @param key what to name in errors ("PYTORCH_LIBRARY_PATH=/opt/libtorch/lib")
   * @param cudaFlavor the CUDA flavor required ("cu128"), or null for any build
   */
  public static Found check(Path dir, String key, String cudaFlavor) {
    List<String> missing = new ArrayList<>();
    for (String lib : List.of("libtorch.so", "libc10.so")) {
      if (!Files.isRegularFile(dir.resolve(lib))) {
        missing.add(lib);
      }
    }
    if (cudaFlavor != null && !hasJniLibrary(dir)) {
      missing.add("libdjl_torch.so (DJL's JNI library: unzip -j "
          + "trainer/target/lib/pytorch-jni-*.jar 'jnilib/linux-x86_64/" + cudaFlavor
          + "/libdjl_torch.so' -d " + dir + ")");
    }
    if (!missing.isEmpty()) {
      throw new InvalidInputException(key + " lacks " + String.join(", ", missing) + " (" + HINT
          + ")");
    }
    boolean cuda = Files.isRegularFile(dir.resolve("libtorch_cuda.so"));
    String[] found = version(dir).orElse(null);
    if (found == null) {
      if (cudaFlavor != null) {
        throw new InvalidInputException(
            key + ": cannot tell its libtorch version: no build-version in it or its parent (a"
                + " libtorch zip has libtorch/build-version) and no ../version.py (a pip wheel's"
                + " torch/); if it is " + VERSION + ", say so: echo " + VERSION + "+" + cudaFlavor
                + " > " + dir.resolve("build-version"));
      }
      return new Found(dir, null, null, cuda);
    }
    String version = found[0];
    String base = version.contains("+") ? version.substring(0, version.indexOf('+')) : version;
    String local = version.contains("+") ? version.substring(version.indexOf('+') + 1) : "";
    if (!base.equals(VERSION)) {
      throw new InvalidInputException(
          key + " holds libtorch " + version + " (" + found[1] + "); DJL 0.36 needs " + VERSION
              + " (" + HINT + ")");
    }
    if (cudaFlavor != null) {
      String cpuOnly = !cuda ? "no libtorch_cuda.so" : local.startsWith("cpu") ? "a +cpu build"
          : null;
      if (cpuOnly != null) {
        throw new InvalidInputException(
            key + " holds a CPU-only libtorch (" + version + " from " + found[1] + ", " + cpuOnly
                + "), but PYTORCH_FLAVOR=" + cudaFlavor + " asks for the CUDA build " + VERSION
                + "+" + cudaFlavor + " (" + HINT + ")");
      }
      if (local.startsWith("cu") && !local.equals(cudaFlavor)) {
        throw new InvalidInputException(
            key + " holds libtorch " + version + ", but PYTORCH_FLAVOR=" + cudaFlavor + "; use the "
                + cudaFlavor + " build, or set PYTORCH_FLAVOR=" + local
                + " with a libdjl_torch.so built for it");
      }
    }
    return new Found(dir, version, found[1], cuda);
  }

  /** {version, where it came from}, by the rules above. */
  static Optional<String[]> version(Path dir) {
    try {
      for (Path file : List.of(dir.resolve("build-version"), dir.resolve("../build-version"))) {
        if (Files.isRegularFile(file)) {
          List<String> lines = Files.readAllLines(file);
          String v = lines.isEmpty() ? "" : lines.get(0).strip();
          if (!v.isEmpty()) {
            return Optional.of(new String[] {v, file.toString()});
          }
        }
      }
      Path py = dir.resolve("../version.py");
      if (Files.isRegularFile(py)) {
        Matcher m = VERSION_PY.matcher(Files.readString(py));
        if (m.find()) {
          return Optional.of(new String[] {m.group(1), py.toString()});
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    Path name = dir.toAbsolutePath().normalize().getFileName();
    Matcher m = CACHE_DIR.matcher(name == null ? "" : name.toString());
    if (m.matches()) {
      return Optional.of(new String[] {m.group(1) + "+" + m.group(3), "the directory name"});
    }
    return Optional.empty();
  }

  private static boolean hasJniLibrary(Path dir) {
    try (DirectoryStream<Path> s = Files.newDirectoryStream(dir, "*libdjl_torch.so")) {
      return s.iterator().hasNext();
    } catch (IOException e) {
      return false;
    }
  }
}
