package ai.igspark.clusterconfig;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Every shell script under cluster-config/ and bin/ passes shellcheck. shellcheck is a test
 * dependency (bin/lib/install-test-packages.sh installs it): when it is missing these tests fail
 * and say so, they do not skip.
 */
class ShellScriptsTest {
  @Test
  void theScriptsThisPackageChecksAreFound() {
    List<String> found =
        ClusterConfigTree.shellScripts().stream()
            .map(p -> ClusterConfigTree.projectDir().relativize(p).toString())
            .toList();
    for (String script :
        List.of(
            "cluster-config/gpu/discover-gpus.sh",
            "cluster-config/yarn/submit-example.sh",
            "cluster-config/slurm/igspark-train.sbatch",
            "cluster-config/slurm/start-worker.sh",
            "cluster-config/slurm/lib.sh",
            "bin/igspark",
            "bin/run-tests",
            "bin/lib/install-test-packages.sh")) {
      assertTrue(found.contains(script), script + " not among " + found);
    }
  }

  @Test
  void entryPointScriptsAreExecutable() {
    for (Path script : ClusterConfigTree.shellScripts()) {
      if (ClusterConfigTree.hasShellShebang(script)) {
        assertTrue(Files.isExecutable(script), script + " has a shebang but no execute bit");
      }
    }
  }

  @TestFactory
  Stream<DynamicTest> everyScriptPassesShellcheck() {
    String shellcheck = shellcheck();
    return ClusterConfigTree.shellScripts().stream()
        .map(
            script ->
                DynamicTest.dynamicTest(
                    ClusterConfigTree.projectDir().relativize(script).toString(),
                    () -> assertShellcheckClean(shellcheck, script)));
  }

  private static void assertShellcheckClean(String shellcheck, Path script) throws Exception {
    List<String> command = new ArrayList<>(List.of(shellcheck, "--external-sources",
        "--source-path=SCRIPTDIR", "--format=gcc"));
    if (!ClusterConfigTree.hasShellShebang(script)) {
      // A sourced library: bash, and the variables it defines are its callers' (SC2034).
      command.addAll(List.of("--shell=bash", "--exclude=SC2034"));
    }
    command.add(script.toString());
    Result result = run(command);
    assertEquals(0, result.status, "shellcheck " + script + ":\n" + result.output);
  }

  /** The shellcheck binary; fails (not skips) with how to install it when it is missing. */
  private static String shellcheck() {
    try {
      Result version = run(List.of("shellcheck", "--version"));
      if (version.status == 0) {
        return "shellcheck";
      }
    } catch (IOException e) {
      // not installed: below
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    throw new AssertionError(
        "shellcheck is not installed, so the shell scripts cannot be checked: run"
            + " bin/lib/install-test-packages.sh as root (bin/run-tests does), or"
            + " apt-get install shellcheck");
  }

  private record Result(int status, String output) {}

  private static Result run(List<String> command) throws IOException, InterruptedException {
    Process process =
        new ProcessBuilder(command)
            .directory(ClusterConfigTree.projectDir().toFile())
            .redirectErrorStream(true)
            .start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!process.waitFor(60, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      throw new AssertionError(command + " did not finish in 60 s");
    }
    return new Result(process.exitValue(), output);
  }
}
