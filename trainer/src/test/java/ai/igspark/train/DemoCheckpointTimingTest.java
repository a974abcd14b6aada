package ai.igspark.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.igspark.ckpt.CheckpointStore;
import ai.igspark.ckpt.CheckpointWriter;
import ai.igspark.ckpt.CommitPolicy;
import ai.igspark.ckpt.FileEntry;
import ai.igspark.config.RunConfig;
import ai.igspark.data.LoopbackOnly;
import ai.igspark.model.ModelConfig;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Checkpoint write and commit times of the demo model (configs/demo-fmnist.yaml, sit-demo) on the
 * local disk, for docs/RELIABILITY.md: rank 0's write of model, EMA and optimizer state, then the
 * driver's commit (verify, state.json, MANIFEST.json, LATEST).
 */
@Tag("slow")
class DemoCheckpointTimingTest {
  @TempDir Path dir;

  @Test
  void demoSizeCheckpointIsWrittenAndCommitted() throws Exception {
    LoopbackOnly.apply();
    Path project = Path.of(System.getProperty("igspark.project.dir", "..")).toAbsolutePath();
    RunConfig cfg = RunConfig.load(project.resolve("configs/demo-fmnist.yaml"));
    ModelConfig mc = ModelConfig.fromTree(cfg.model(), "demo-fmnist.yaml: model");
    try (TrainingState state =
            TrainingState.create(mc, cfg.train(), Device.cpu(), 0, null, 0, null);
        NDManager m = state.model().manager().newSubManager()) {
      NDArray x = m.randomNormal(new Shape(2, mc.inChannels(), mc.inputSize(), mc.inputSize()));
      NDArray y = m.create(new long[] {0, 1});
      state.step().computeGradients(x, y, 2, new SplittableRandom(0));
      state.step().applyUpdate(); // the optimizer now has its moments
      CheckpointStore store = new CheckpointStore(new org.apache.hadoop.fs.Path(dir.toUri()),
          new Configuration(), CommitPolicy.defaults());
      for (long step = 1; step <= 3; step++) {
        long t0 = System.nanoTime();
        String attempt = store.newAttempt(step);
        CheckpointWriter writer = store.writer(step, attempt);
        List<FileEntry> files = state.save(writer);
        long t1 = System.nanoTime();
        store.commit(step, attempt,
            new ObjectMapper().createObjectNode().put("step", step), files);
        long t2 = System.nanoTime();
        long bytes = files.stream().mapToLong(FileEntry::size).sum();
        System.out.printf("RELIABILITY demo checkpoint: %.1f MB, write %.3f s, commit %.3f s%n",
            bytes / 1e6, (t1 - t0) / 1e9, (t2 - t1) / 1e9);
        assertTrue(bytes > 10_000_000, "model, EMA and two moments of ~1.8M parameters");
      }
      assertEquals(3, store.latest().orElseThrow().step());
    }
  }
}
