package ai.igspark.notebooks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.igspark.cli.Igspark;
import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * The notebooks on a run the real trainer produces: {@code igspark demo} with a tiny SiT+IG on
 * Fashion-MNIST (Debian's dataset-fashion-mnist, as the demo itself prepares it) in Spark local
 * mode, 40 steps, FD-FMNIST evaluated in training at steps 20 and 40 with a grid each, then the
 * demo's four guidance settings at step 40 (a guidance sweep).
 */
class NotebooksOnRealRunTest extends NotebookChecks {
  static final long STEPS = 40;
  static final long EVAL_EVERY = 20;

  @Override
  void produceRunDirectory(Path dir) throws Exception {
    Path base = dir.getParent();
    Path config = base.resolve("tiny-demo.yaml");
    Files.writeString(
        config,
        """
        run: {dir: "%1$s", name: notebooks-real-run, seed: 0}
        data: {manifest: "%2$s/data/fashion-mnist-train/dataset.json", flip: none}
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
          steps: %3$d
          optimizer: {name: adamw, lr: 1.0e-3}
          ema_decay: 0.9
          log_every: 4
        cluster: {world_size: 1, max_retries: 0}
        checkpoint: {every_steps: %4$d}
        eval:
          every_steps: %4$d
          num_samples: 20
          sampler: sde
          sampling_steps: 4
          ig_scale: 1.5
          reference: "%2$s/data/fashion-mnist-test/dataset.json"
        """
            .formatted(dir, base, STEPS, EVAL_EVERY));
    int code =
        Igspark.run(
            "demo", "--config", config.toString(), "--samples", "20", "--per-class", "2",
            "--sampling-steps", "4");
    assertEquals(0, code, "igspark demo on " + config);
  }

  @Test
  void theRunHasTrainingCurvesEvaluationsGridsAndASweep() throws Exception {
    List<JsonNode> records = readMetrics();
    TreeSet<Long> trained = new TreeSet<>();
    TreeSet<Long> evaluated = new TreeSet<>();
    for (JsonNode r : records) {
      String kind = r.path("kind").asText();
      if (kind.equals("train")) {
        trained.add(r.path("step").asLong());
      } else if (kind.equals("eval")) {
        assertEquals("fd_fmnist", r.path("metric").asText(), r.toString());
        assertTrue(r.path("value").asDouble() > 0, r.toString());
        evaluated.add(r.path("step").asLong());
      }
    }
    assertEquals(STEPS, trained.last());
    assertEquals(List.of(EVAL_EVERY, STEPS), List.copyOf(evaluated));
    for (long step : evaluated) {
      Path grid = runDir.resolve(String.format("eval/step-%08d/grid.png", step));
      assertTrue(Files.size(grid) > 0, grid.toString());
    }
    assertEquals(1, sweeps(records), "the demo's four settings at the last step");
    for (String setting : List.of("none", "ig", "cfg", "ig-cfg")) {
      Path grid = runDir.resolve("demo/grid-" + setting + ".png");
      assertTrue(Files.size(grid) > 0, grid.toString());
    }
  }
}
