package ai.igspark.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * bin/igspark-submit's own argument checks, which run before it builds or starts anything
 * (IgsparkSubmitSparkTest runs it against a real spark-submit).
 */
class IgsparkSubmitScriptTest {
  private static final Path PROJECT =
      Path.of(System.getProperty("igspark.project.dir", "..")).toAbsolutePath().normalize();

  /** Runs the script; returns {exit code, stderr}. */
  private static String[] submit(String... args) throws IOException, InterruptedException {
    List<String> command =
        new ArrayList<>(List.of(PROJECT.resolve("bin/igspark-submit").toString()));
    command.addAll(List.of(args));
    ProcessBuilder builder =
        new ProcessBuilder(command).redirectOutput(ProcessBuilder.Redirect.DISCARD);
    builder.environment().remove("SPARK_HOME");
    builder.environment().put("PATH", "/usr/bin:/bin"); // no spark-submit there
    Process process = builder.start();
    String err = new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(process.waitFor(30, TimeUnit.SECONDS));
    return new String[] {Integer.toString(process.exitValue()), err};
  }

  /** The profiles: the directories of cluster-config/ with a spark-defaults.conf, by name. */
  private static String profiles() throws IOException {
    try (Stream<Path> dirs = Files.list(PROJECT.resolve("cluster-config"))) {
      return dirs.filter(d -> Files.isRegularFile(d.resolve("spark-defaults.conf")))
          .map(d -> d.getFileName().toString()).sorted().collect(Collectors.joining(", "));
    }
  }

  /** Runs the script; asserts exit 2 and a stderr containing {@code message}; returns stderr. */
  private static String assertUserError(String message, String... args) throws Exception {
    String[] r = submit(args);
    assertEquals("2", r[0], r[1]);
    assertTrue(r[1].contains(message), r[1]);
    return r[1];
  }

  @Test
  void anUnknownProfileIsNamedWithTheAvailableOnes() throws Exception {
    String err = assertUserError("igspark-submit: no profile 'mesos' (there is no"
        + " cluster-config/mesos/spark-defaults.conf); the profiles are: " + profiles(),
        "--profile", "mesos", "cluster-check");

    assertTrue(err.startsWith("igspark-submit:"), err);
    assertTrue(profiles().contains("local, standalone"), profiles());
  }

  @Test
  void aProfileThatIsAPathIsRefusedWithTheAvailableOnes() throws Exception {
    assertUserError("no profile '../cluster-config/local' (there is no"
        + " cluster-config/../cluster-config/local/spark-defaults.conf); the profiles are: "
        + profiles(), "--profile=../cluster-config/local", "cluster-check");
  }

  @Test
  void aProfileAndAPropertiesFileTogetherAreRefused() throws Exception {
    assertUserError("give --profile or --properties-file, not both", "--profile", "local",
        "--properties-file", PROJECT.resolve("cluster-config/local/spark-defaults.conf")
            .toString(), "cluster-check");
  }

  @Test
  void aMissingPropertiesFileIsNamed() throws Exception {
    assertUserError("--properties-file /nonexistent/site.conf: no such file",
        "--properties-file", "/nonexistent/site.conf", "cluster-check");
  }

  @Test
  void aMainClassOfTheUsersIsRefused() throws Exception {
    assertUserError("--class: igspark-submit runs igspark's own main class",
        "--class", "org.example.Main", "cluster-check");
  }

  @Test
  void aValueOptionAtTheEndSaysItNeedsAValue() throws Exception {
    assertUserError("--executor-memory needs a value", "--profile", "local", "--executor-memory");
  }

  @Test
  void withoutSparkSubmitItSaysWhereItLooked() throws Exception {
    assertUserError("spark-submit not found: set SPARK_HOME", "--profile", "local",
        "cluster-check");
  }

  @Test
  void theStandaloneProfileWithoutAMasterAsksForOne() throws Exception {
    assertUserError("profile 'standalone' needs --master", "--profile", "standalone",
        "cluster-check");
  }
}
