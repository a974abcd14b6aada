package ai.igspark.clusterconfig;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/** The project's cluster-config/ and bin/ directories, as the tests find them. */
final class ClusterConfigTree {
  private ClusterConfigTree() {}

  /** The project root (surefire's {@code igspark.project.dir}). */
  static Path projectDir() {
    String dir = System.getProperty("igspark.project.dir");
    if (dir == null) {
      throw new IllegalStateException("system property igspark.project.dir is not set (surefire)");
    }
    return Path.of(dir).toAbsolutePath().normalize();
  }

  static Path clusterConfig() {
    return projectDir().resolve("cluster-config");
  }

  static Path file(String relativeToClusterConfig) {
    Path file = clusterConfig().resolve(relativeToClusterConfig);
    if (!Files.isRegularFile(file)) {
      throw new AssertionError("missing " + file);
    }
    return file;
  }

  /** Every cluster-config/&lt;profile&gt;/spark-defaults.conf, whoever wrote it. */
  static List<Path> sparkDefaultsFiles() {
    return walk(clusterConfig())
        .filter(p -> p.getFileName().toString().equals("spark-defaults.conf"))
        .toList();
  }

  /**
   * Shell scripts: files under cluster-config/ and bin/ that start with a shell shebang or end in
   * {@code .sh} (sourced libraries have no shebang).
   */
  static List<Path> shellScripts() {
    return Stream.concat(walk(clusterConfig()), walk(projectDir().resolve("bin")))
        .filter(p -> p.getFileName().toString().endsWith(".sh") || hasShellShebang(p))
        .toList();
  }

  static boolean hasShellShebang(Path file) {
    try (Stream<String> lines = Files.lines(file)) {
      String first = lines.findFirst().orElse("");
      return first.matches("#!\\s*(/usr/bin/env\\s+)?(/bin/|/usr/bin/)?(ba|da|k)?sh\\b.*");
    } catch (IOException | UncheckedIOException e) {
      return false; // not text
    }
  }

  private static Stream<Path> walk(Path dir) {
    if (!Files.isDirectory(dir)) {
      return Stream.empty();
    }
    try (Stream<Path> files = Files.walk(dir)) {
      return files.filter(Files::isRegularFile).sorted().toList().stream();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
