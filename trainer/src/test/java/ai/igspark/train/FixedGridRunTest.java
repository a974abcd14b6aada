package ai.igspark.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.igspark.ckpt.RunDirectory;
import ai.igspark.config.RunConfig;
import ai.igspark.data.format.Normalization;
import ai.igspark.eval.job.FixedGrid;
import ai.igspark.metrics.GridRecord;
import ai.igspark.metrics.tensorboard.TfEventsReader;
import com.fasterxml.jackson.databind.JsonNode;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import javax.imageio.ImageIO;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** {@code eval.grid_every_steps}: a fixed sample grid of committed checkpoints, no metric. */
class FixedGridRunTest {
  @RegisterExtension static final LocalTraining training = new LocalTraining();

  @TempDir static Path dir;
  static Path run;
  static RunConfig config;

  @BeforeAll
  static void trainFourStepsWithAGridEveryTwo() throws Exception {
    run = dir.resolve("run");
    Path base = TinyRun.config(dir, "grid", run.toString(), training.manifest(), 4, 1, 1);
    Path yaml = dir.resolve("grid.yaml");
    Files.writeString(yaml, Files.readString(base)
        + "eval: {grid_every_steps: 2, sampling_steps: 4, ig_scale: 2.0}\n");
    config = RunConfig.load(yaml);
    training.train(yaml, Set.of());
  }

  @Test
  void aGridOf64SamplesEightPerRowIsWrittenAtEveryMultipleOfGridEverySteps() throws Exception {
    for (long step : List.of(2L, 4L)) {
      Path png = run.resolve(FixedGrid.relativePath(step));
      BufferedImage image = ImageIO.read(png.toFile());
      assertNotNull(image, png + " is no PNG");
      assertEquals(image.getWidth(), image.getHeight(), "8 rows of 8 tiles");
      assertTrue(image.getWidth() >= 8 * 8, image.getWidth() + " px for 8 tiles of 8 px");
    }
    assertFalse(Files.exists(run.resolve(FixedGrid.relativePath(1))));
    assertFalse(Files.exists(run.resolve(FixedGrid.relativePath(3))));
  }

  @Test
  void everyGridIsAGridRecordOfMetricsJsonlAndATensorBoardImage() throws Exception {
    List<JsonNode> grids = RunDirectory.existing(run.toString(), new Configuration())
        .readMetrics().stream()
        .filter(r -> "grid".equals(r.path("kind").asText())).toList();
    assertEquals(List.of(2L, 4L), grids.stream().map(r -> r.path("step").asLong()).toList());
    for (JsonNode r : grids) {
      assertEquals(FixedGrid.relativePath(r.path("step").asLong()), r.path("grid").asText());
      assertTrue(r.path("seconds").asDouble() > 0, r.toString());
      assertTrue(r.path("error").isMissingNode(), r.toString());
    }
    List<Long> imageSteps = TfEventsReader.events(run.resolve("tensorboard")).stream()
        .filter(e -> e.what().equals("summary") && e.tag().equals("eval/grid"))
        .map(TfEventsReader.Event::step).toList();
    assertEquals(List.of(2L, 4L), imageSteps);
  }

  @Test
  void theGridOfACheckpointIsTheSameImageEveryTimeItIsDrawnAndDiffersBetweenSteps()
      throws Exception {
    // Fixed labels and noise: drawing step 2's grid again gives the same pixels.
    Path again = dir.resolve("again");
    RunDirectory other = RunDirectory.open(again.toString(), new Configuration());
    String modelJson = new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsString(
        ai.igspark.model.ModelConfig.fromTree(config.model(), "model").toMap());
    GridRecord r = new FixedGrid(config.eval(), modelJson, Normalization.identity())
        .write(other, 2, run.resolve("checkpoints/step-00000002/" + TrainingState.EMA_FILE)
            .toString(), new Configuration());
    assertArrayEquals(pixels(run.resolve(FixedGrid.relativePath(2))),
        pixels(again.resolve(r.grid())));
    assertFalse(java.util.Arrays.equals(pixels(run.resolve(FixedGrid.relativePath(2))),
        pixels(run.resolve(FixedGrid.relativePath(4)))), "training changed nothing");
  }

  private static int[] pixels(Path png) throws Exception {
    BufferedImage image = ImageIO.read(png.toFile());
    return image.getRGB(0, 0, image.getWidth(), image.getHeight(), null, 0, image.getWidth());
  }
}
