package ai.igspark.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** bin/igspark-submit's argument checks, which run before it builds or starts anything. */
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

  @Test
  void anUnknownProfileIsNamedWithTheAvailableOnes() throws Exception {
    String[] r = submit("--profile", "mesos", "cluster-check");

    assertEquals("2", r[0]);
    assertTrue(r[1].contains("profile 'mesos' has no"), r[1]);
    assertTrue(r[1].contains("available: ") && r[1].contains("local") && r[1].contains("standalone"),
        r[1]);
  }

  @Test
  void withoutSparkSubmitItSaysWhereItLooked() throws Exception {
    String[] r = submit("--profile", "local", "cluster-check");

    assertEquals("2", r[0]);
    assertTrue(r[1].contains("spark-submit not found: set SPARK_HOME"), r[1]);
  }

  @Test
  void theStandaloneProfileWithoutAMasterAsksForOne() throws Exception {
    String[] r = submit("--profile", "standalone", "cluster-check");

    assertEquals("2", r[0]);
    assertTrue(r[1].contains("profile 'standalone' needs --master"), r[1]);
  }
}
