package ai.igspark.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.igspark.config.RunConfig;
import ai.igspark.data.LoopbackOnly;
import ai.igspark.model.IgDiTNet;
import ai.igspark.model.ModelConfig;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the all-reduce writes back with {@code gradientsFrom} is what the optimizer then sees: on a
 * real TinyRun model after a backward pass, every parameter's gradient takes the flat buffer's
 * values. (A gradient DJL could only expose through a temporary contiguous copy would silently
 * keep its rank-local value, and ranks would drift apart; docs/RELIABILITY.md, "Determinism".)
 */
class FlatGradientsWriteBackTest {
  @TempDir Path dir;

  @Test
  void everyGradientTakesTheAllReducedValues() throws Exception {
    LoopbackOnly.apply();
    RunConfig cfg = RunConfig.load(TinyRun.config(dir, "flat", dir.resolve("r").toString(),
        dir.resolve("none").toString(), 2, 2, 1));
    ModelConfig mc = ModelConfig.fromTree(cfg.model(), "flat: model");
    try (TrainingState state =
            TrainingState.create(mc, cfg.train(), Device.cpu(), 3, null, 0, null);
        NDManager m = state.model().manager().newSubManager()) {
      NDArray x = m.randomNormal(new Shape(4, 1, 8, 8));
      NDArray y = m.create(new long[] {0, 1, 2, 3});
      state.step().computeGradients(x, y, 4, new SplittableRandom(0));
      int n = Math.toIntExact(state.step().gradientSize());
      FloatBuffer wanted = floats(n);
      for (int i = 0; i < n; i++) {
        wanted.put(i, 1f + i * 1e-4f);
      }
      state.step().gradientsFrom(wanted);
      FloatBuffer seen = floats(n);
      state.step().gradientsTo(seen);

      List<String> missed = new ArrayList<>();
      int i = 0;
      for (var e : new IgDiTNet(state.model()).trainableParameters().entrySet()) {
        int size = Math.toIntExact(e.getValue().getShape().size());
        for (int k = i; k < i + size; k++) {
          if (seen.get(k) != wanted.get(k)) {
            missed.add(e.getKey() + " " + e.getValue().getShape());
            break;
          }
        }
        i += size;
      }
      assertEquals(n, i);
      assertEquals(List.of(), missed, "gradients that did not take the written values");
    }
  }

  private static FloatBuffer floats(int n) {
    return ByteBuffer.allocateDirect(n * 4).order(ByteOrder.nativeOrder()).asFloatBuffer();
  }
}
