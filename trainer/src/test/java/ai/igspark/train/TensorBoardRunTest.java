package ai.igspark.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.igspark.metrics.tensorboard.TfEventsReader;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** A training run writes its curves as TensorBoard event files in the run directory. */
class TensorBoardRunTest {
  @RegisterExtension static final LocalTraining training = new LocalTraining();

  @TempDir Path dir;

  @Test
  void everyTrainRecordIsATensorBoardLossScalar() throws Exception {
    Path run = dir.resolve("run");
    training.train(TinyRun.config(dir, "tb", run.toString(), training.manifest(), 4, 2, 1),
        Set.of());
    List<Long> lossSteps = TfEventsReader.events(run.resolve("tensorboard")).stream()
        .filter(e -> e.what().equals("summary") && e.tag().equals("train/loss"))
        .map(TfEventsReader.Event::step).toList();
    assertEquals(List.of(1L, 2L, 3L, 4L), lossSteps);
  }
}
