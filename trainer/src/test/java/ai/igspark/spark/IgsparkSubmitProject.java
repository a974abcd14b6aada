package ai.igspark.spark;

import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A copy of the project's {@code bin/} and {@code cluster-config/} with a stand-in build, for
 * running {@code bin/igspark-submit} without building igspark: {@code trainer/target/igspark.jar}
 * (empty unless a test writes its own) is dated after every source, so the script does not
 * build, and {@code trainer/target/lib} holds only what a test puts there.
 */
public record IgsparkSubmitProject(Path root) {
  static final Path PROJECT =
      Path.of(System.getProperty("igspark.project.dir", "..")).toAbsolutePath().normalize();

  /** DJL's and igspark's jars (the application ships them) and the test run's own. */
  private static final Pattern NOT_SPARKS = Pattern.compile("(api-[0-9]|pytorch-|igspark-"
      + "|junit-|opentest4j-|apiguardian-|surefire-|common-java5-|common-junit"
      + "|hadoop-client-minicluster-|spark-yarn_|spark-kubernetes_).*");

  /** Copies bin/ and cluster-config/ (execute bits kept) into {@code root}. */
  public static IgsparkSubmitProject copyTo(Path root) throws IOException {
    for (String dir : List.of("bin", "cluster-config")) {
      try (Stream<Path> files = Files.walk(PROJECT.resolve(dir))) {
        for (Path f : files.toList()) {
          Path to = root.resolve(PROJECT.relativize(f).toString());
          if (Files.isDirectory(f)) {
            Files.createDirectories(to);
          } else {
            Files.copy(f, to);
            to.toFile().setExecutable(Files.isExecutable(f));
          }
        }
      }
    }
    for (String module : List.of("core", "data-pipeline", "trainer/target/lib")) {
      Files.createDirectories(root.resolve(module));
    }
    Files.createFile(root.resolve("pom.xml"));
    IgsparkSubmitProject project = new IgsparkSubmitProject(root);
    project.writeAppJar(jar -> { });
    return project;
  }

  Path script() {
    return root.resolve("bin/igspark-submit");
  }

  public Path lib() {
    return root.resolve("trainer/target/lib");
  }

  public Path appJar() {
    return root.resolve("trainer/target/igspark.jar");
  }

  /** Entries of a jar being written. */
  public interface JarContent {
    void write(JarOutputStream jar) throws IOException;
  }

  /** Writes trainer/target/igspark.jar, dated after every source so the script does not build. */
  public void writeAppJar(JarContent content) throws IOException {
    writeJar(appJar(), content);
    Files.setLastModifiedTime(appJar(),
        FileTime.fromMillis(System.currentTimeMillis() + 3_600_000));
  }

  /** Writes a jar at {@code path}. */
  public static void writeJar(Path path, JarContent content) throws IOException {
    try (OutputStream out = Files.newOutputStream(path);
        JarOutputStream jar = new JarOutputStream(out)) {
      content.write(jar);
    }
  }

  /** Adds the file {@code name} holding {@code bytes} to {@code jar}. */
  static void addEntry(JarOutputStream jar, String name, byte[] bytes) throws IOException {
    jar.putNextEntry(new JarEntry(name));
    jar.write(bytes);
    jar.closeEntry();
  }

  /**
   * A SPARK_HOME whose jars/ links to the jars of this JVM's class path that a Spark installation
   * holds (Spark and its dependencies: not DJL, igspark, the test frameworks or the test-scope
   * YARN, Kubernetes and MiniCluster jars), and whose bin/spark-submit is the project's
   * cluster-config/standalone/spark-submit: the real Spark launcher and SparkSubmit.
   */
  public static Path sparkHome(Path dir) throws IOException {
    Path jars = Files.createDirectories(dir.resolve("jars"));
    for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
      Path path = Path.of(entry);
      String name = path.getFileName().toString();
      if (name.endsWith(".jar") && !applicationOrTestJar(name)) {
        Files.createSymbolicLink(jars.resolve(name), path.toAbsolutePath());
      }
    }
    Path submit = Files.createDirectories(dir.resolve("bin")).resolve("spark-submit");
    Files.copy(PROJECT.resolve("cluster-config/standalone/spark-submit"), submit);
    submit.toFile().setExecutable(true);
    return dir;
  }

  private static boolean applicationOrTestJar(String name) {
    return NOT_SPARKS.matcher(name).matches();
  }
}
