package ai.igspark.clusterconfig;

import ai.igspark.spark.IgsparkSubmitProject;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * An igspark checkout to run the project's scripts from as a user would, built from this test
 * run's compiled classes: a copy of bin/ and cluster-config/, trainer/target/igspark.jar made of
 * trainer's classes, and trainer/target/lib holding core's and data-pipeline's classes as jars
 * plus DJL's jars. Spark and the other libraries come from a SPARK_HOME made by {@link
 * IgsparkSubmitProject#sparkHome}. Maven's package phase is not used: the test phase has not
 * reached it, and running it under the tests would recompile the classes they are loading.
 */
final class BuiltCheckout {
  /** DJL's jars and igspark's own, which a Spark installation lacks (test-jars excluded). */
  private static final Pattern APPLICATION_JAR =
      Pattern.compile("(api-[0-9]|pytorch-|igspark-)(?!.*-tests\\.jar$).*\\.jar");

  private BuiltCheckout() {}

  /** Fills {@code root} and returns it. */
  static Path create(Path root) throws IOException {
    IgsparkSubmitProject project = IgsparkSubmitProject.copyTo(root);
    boolean trainerClasses = false;
    for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
      Path path = Path.of(entry).toAbsolutePath();
      String name = path.getFileName().toString();
      if (Files.isDirectory(path) && path.endsWith(Path.of("target", "classes"))) {
        String module = path.getParent().getParent().getFileName().toString();
        if (module.equals("trainer")) {
          project.writeAppJar(jar -> addTree(jar, path));
          trainerClasses = true;
        } else {
          IgsparkSubmitProject.writeJar(project.lib().resolve("igspark-" + module + ".jar"),
              jar -> addTree(jar, path));
        }
      } else if (APPLICATION_JAR.matcher(name).matches()) {
        Files.createSymbolicLink(project.lib().resolve(name), path);
      }
    }
    if (!trainerClasses) {
      throw new IllegalStateException("trainer/target/classes is not on the test class path: no"
          + " classes to build igspark.jar from");
    }
    return root;
  }

  /** Every file under {@code dir}, named by its path relative to it. */
  private static void addTree(JarOutputStream jar, Path dir) throws IOException {
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path f : files.filter(Files::isRegularFile).sorted().toList()) {
        jar.putNextEntry(new JarEntry(dir.relativize(f).toString().replace(File.separatorChar,
            '/')));
        Files.copy(f, jar);
        jar.closeEntry();
      }
    } catch (UncheckedIOException e) {
      throw e.getCause();
    }
  }
}
