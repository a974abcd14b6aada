package ai.igspark.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A {@code checkpoint.keep_best} that cannot work ends {@code igspark train} before anything is
 * written: exit 2 and one error line naming the key and what would be valid.
 */
class KeepBestInputErrorsTest {
  @TempDir Path dir;

  /** The demo config (FD-FMNIST evaluation) with {@code keepBest} under its checkpoint section. */
  private CliRun train(String keepBest) throws Exception {
    String yaml = Files.readString(Path.of(System.getProperty("igspark.project.dir"),
        "configs/demo-fmnist.yaml"));
    yaml = yaml.replace("  dir: runs/demo-fmnist", "  dir: " + dir.resolve("run"))
        .replace("checkpoint:\n", "checkpoint:\n  keep_best: " + keepBest + "\n");
    Path p = dir.resolve("run-config.yaml");
    Files.writeString(p, yaml);
    return CliRun.of("train", "--config", p.toString());
  }

  private void assertRefused(CliRun r, String expected) {
    assertEquals(2, r.code(), r.err());
    assertTrue(r.err().startsWith("igspark: error: "), r.err());
    assertTrue(r.err().contains(expected), r.err());
    assertEquals(1, r.err().strip().lines().count(), "one line, no stack trace:\n" + r.err());
    assertFalse(Files.exists(dir.resolve("run")), "the run directory was created");
  }

  @Test
  void aMetricTheEvaluationDoesNotProduceIsRefusedListingTheValidOnes() throws Exception {
    assertRefused(train("{metric: fid, mode: min}"),
        "checkpoint.keep_best.metric: 'fid' is not a metric this run's evaluation produces"
            + " (pixel Fashion-MNIST evaluation, eval.vae_decoder not set); expected one of"
            + " [fd_fmnist, classifier_score]");
  }

  @Test
  void anUnknownModeIsRefusedListingTheModes() throws Exception {
    assertRefused(train("{metric: fd_fmnist, mode: best}"),
        "key 'checkpoint.keep_best.mode': expected one of min, max, got 'best'");
  }
}
