package ai.igspark.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.igspark.testsupport.IgsparkProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Mistakes in what a user types or writes for {@code igspark train} end before anything is
 * written, with exit code 2 and one {@code igspark: error:} line that names the key or value.
 */
class TrainInputErrorsTest {
  @TempDir Path dir;

  /** The demo config with its run directory under the test's folder, edited by {@code edit}. */
  private Path config(java.util.function.UnaryOperator<String> edit) throws Exception {
    String yaml = Files.readString(Path.of(System.getProperty("igspark.project.dir"),
        "configs/demo-fmnist.yaml"));
    yaml = yaml.replace("  dir: runs/demo-fmnist", "  dir: " + dir.resolve("run"));
    Path p = dir.resolve("run-config.yaml");
    Files.writeString(p, edit.apply(yaml));
    return p;
  }

  private void assertRefusedBeforeTouchingTheRun(CliRun r, String expected) {
    assertEquals(2, r.code(), r.err());
    assertTrue(r.err().startsWith("igspark: error: "), r.err());
    assertTrue(r.err().contains(expected), r.err());
    assertEquals(1, r.err().strip().lines().count(), "one line, no stack trace:\n" + r.err());
    assertFalse(Files.exists(dir.resolve("run")), "the run directory was created");
  }

  @Test
  void aDuplicatedKeyIsRefusedNamingTheKeyAndBothLines() throws Exception {
    Path cfg = config(y -> y.replace("  steps: 1600\n", "  steps: 1600\n  steps: 10\n"));
    assertRefusedBeforeTouchingTheRun(CliRun.of("train", "--config", cfg.toString()),
        "duplicate key 'train.steps' at lines");
  }

  @Test
  void aMisspeltRequiredKeyIsNamedAsTheMisspelling() throws Exception {
    Path cfg = config(y -> y.replace("  manifest:", "  manfest:"));
    assertRefusedBeforeTouchingTheRun(CliRun.of("train", "--config", cfg.toString()),
        "unknown key 'data.manfest' (did you mean 'manifest'?)");
  }

  @Test
  void anUnknownAllowChangeKeyIsRefused() throws Exception {
    Path cfg = config(y -> y);
    assertRefusedBeforeTouchingTheRun(
        CliRun.of("train", "--config", cfg.toString(), "--allow-change", "train.optimizer.lrr"),
        "--allow-change: unknown key 'train.optimizer.lrr'");
  }

  @Test
  void allowChangeKeysOfSectionsLeavesIndicesAndModelKeysAreKnown() throws Exception {
    Path cfg = config(y -> y.replace("  manifest: data/", "  manifest: " + dir + "/absent/"));
    CliRun r = CliRun.of("train", "--config", cfg.toString(), "--allow-change",
        "eval,train.optimizer.lr,train.optimizer.betas[1],model.ig_depth");
    assertEquals(2, r.code(), r.err());
    assertFalse(r.err().contains("--allow-change"), r.err());
  }

  @Test
  void aBogusMasterIsOneErrorLineAndExitTwoFromTheShell() throws Exception {
    Path cfg = config(y -> y);
    IgsparkProcess.Result r = IgsparkProcess.run(dir, Duration.ofMinutes(2),
        "train", "--config", cfg.toString(), "--master", "bogus://x");
    assertEquals(2, r.code(), r.output());
    assertTrue(r.output().contains("igspark: error: --master bogus://x: not a Spark master URL"),
        r.output());
    assertFalse(r.output().contains("\tat "), "no stack trace:\n" + r.output());
    assertFalse(Files.exists(dir.resolve("run")), "the run directory was created");
  }

  @Test
  void verbosePrintsTheStackTraceOfAnInputError() throws Exception {
    Path cfg = config(y -> y.replace("  manifest:", "  manfest:"));
    CliRun r = CliRun.of("train", "--verbose", "--config", cfg.toString());
    assertEquals(2, r.code(), r.err());
    assertTrue(r.err().contains("\tat ai.igspark."), r.err());
  }
}
