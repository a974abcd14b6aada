package ai.igspark.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.igspark.config.RunConfig;
import ai.igspark.metrics.tensorboard.TfEventsReader;
import ai.igspark.spark.SparkContexts;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A training run writes its curves as TensorBoard event files in the run directory. */
class TensorBoardRunTest {
  @TempDir Path dir;

  @Test
  void everyTrainRecordIsATensorBoardLossScalar() throws Exception {
    String manifest = TinyRun.dataset(dir);
    Path run = dir.resolve("run");
    Path config = TinyRun.config(dir, "tb", run.toString(), manifest, 4, 2, 1);
    try (JavaSparkContext sc =
        SparkContexts.builder().master("local[1]").uiEnabled(false).start()) {
      new TrainDriver(RunConfig.load(config), config.toString(), Set.of(),
          new PrintStream(new ByteArrayOutputStream())).run(sc, false);
    } finally {
      WarmCache.clear();
    }
    List<Long> lossSteps = TfEventsReader.events(run.resolve("tensorboard")).stream()
        .filter(e -> e.what().equals("summary") && e.tag().equals("train/loss"))
        .map(TfEventsReader.Event::step).toList();
    assertEquals(List.of(1L, 2L, 3L, 4L), lossSteps);
  }
}
