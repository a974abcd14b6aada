package ai.igspark.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's first command end to end at a tiny size: Fashion-MNIST from the Debian package,
 * a few training steps in local mode, samples with and without IG/CFG, FD-FMNIST for each.
 */
class DemoCommandTest {
  @TempDir Path dir;

  @Test
  void demoTrainsSamplesMeasuresEveryGuidanceSettingAndSaysWhereOutputsAre() throws Exception {
    Path config = dir.resolve("demo.yaml");
    Files.writeString(
        config,
        """
        run: {dir: "%1$s/runs/demo", name: demo-test, seed: 0}
        data: {manifest: "%1$s/data/fashion-mnist-train/dataset.json", flip: none}
        model:
          family: sit
          input_size: 32
          in_channels: 1
          patch_size: 8
          hidden_size: 32
          depth: 2
          num_heads: 2
          num_classes: 10
          ig_depth: 1
        train:
          global_batch: 8
          steps: 2
          optimizer: {name: adamw, lr: 1.0e-3}
          log_every: 1
        cluster: {world_size: 1, max_retries: 0}
        checkpoint: {every_steps: 2}
        """
            .formatted(dir));
    // The training driver's progress lines come through the command's writer too.
    CliRun r =
        CliRun.of(
            "demo", "--config", config.toString(), "--samples", "20", "--per-class", "2",
            "--sampling-steps", "2");
    assertEquals(0, r.code(), r.err());
    String summary = r.out();
    assertTrue(summary.contains("igspark: run "), summary);
    Path runDir = dir.resolve("runs/demo").toAbsolutePath();
    for (String where :
        new String[] {
          "run directory  " + runDir,
          "sample grids   " + runDir.resolve("demo/grid-{none,ig,cfg,ig-cfg}.png"),
          "demo metrics   " + runDir.resolve("demo/metrics.json"),
          "training log   " + runDir.resolve("metrics.jsonl"),
          "igspark demo: done in "
        }) {
      assertTrue(summary.contains(where), "'" + where + "' not in the summary:\n" + summary);
    }
    Path demo = dir.resolve("runs/demo/demo");
    for (String setting : new String[] {"none", "ig", "cfg", "ig-cfg"}) {
      assertTrue(Files.size(demo.resolve("grid-" + setting + ".png")) > 0, setting);
    }
    JsonNode metrics = new ObjectMapper().readTree(demo.resolve("metrics.json").toFile());
    assertEquals(4, metrics.size());
    for (JsonNode m : metrics) {
      assertEquals("fd_fmnist", m.get("metric").asText());
      assertTrue(m.get("value").asDouble() > 0, m.toString());
    }
  }

  @Test
  void runtimesReadAsMinutesAndSeconds() {
    assertEquals("12 s", DemoCommand.minutes(12.4));
    assertEquals("9 min 05 s", DemoCommand.minutes(545.2));
  }
}
