package ai.igspark.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.igspark.data.LoopbackOnly;
import ai.igspark.diffusion.Guidance;
import ai.igspark.diffusion.NoiseStream;
import ai.igspark.diffusion.Sampler;
import ai.igspark.diffusion.SamplingPlan;
import ai.igspark.model.ModelConfig.Family;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a user's plain Java program does with the core module alone (docs/ARCHITECTURE.md §1):
 * build a model, write its checkpoint, load it into a fresh model and sample with IG guidance,
 * while neither Spark nor Hadoop is on the class path.
 */
class PlainJavaSamplingTest {
  private static final ModelConfig TINY =
      new ModelConfig(Family.SIT, 8, 4, 2, 32, 2, 2, 4.0, 10, 1, null, null, null, null);

  @Test
  void neitherSparkNorHadoopIsOnTheClassPath() {
    assertThrows(ClassNotFoundException.class, () -> Class.forName("org.apache.spark.SparkContext"));
    assertThrows(ClassNotFoundException.class,
        () -> Class.forName("org.apache.hadoop.fs.FileSystem"));
  }

  @Test
  void aCheckpointLoadedIntoAFreshModelSamplesWhatTheOriginalSamples(@TempDir Path dir) {
    LoopbackOnly.apply();
    Path file = dir.resolve("ema.safetensors");
    SamplingPlan plan =
        new SamplingPlan(Sampler.parse("sampler", "ode-heun"), 4, 1.0, Guidance.ig(1.5f, 0f, 1f));
    try (NDManager manager = NDManager.newBaseManager()) {
      float[] original;
      try (IgDiT model = IgDiT.create(TINY, manager, 7)) {
        ModelCheckpoints.exportSafetensors(model, file);
        original = sample(model, plan, manager);
      }
      try (IgDiT loaded = IgDiT.create(TINY, manager, 8)) {
        ModelCheckpoints.loadInto(loaded, file);
        float[] again = sample(loaded, plan, manager);
        assertArrayEquals(original, again);
        assertTrue(Math.abs(original[0]) > 0 && Float.isFinite(original[0]));
      }
    }
  }

  private static float[] sample(IgDiT model, SamplingPlan plan, NDManager parent) {
    try (NDManager m = parent.newSubManager()) {
      NDArray x = m.create(fixedNoise(2 * 4 * 8 * 8), new Shape(2, 4, 8, 8));
      NDArray y = m.create(new long[] {3, 7});
      NDArray out = plan.run(new IgDiTNet(model), TINY.numClasses(), x, y,
          NoiseStream.seeded(new SplittableRandom(1)));
      return out.toFloatArray();
    }
  }

  private static float[] fixedNoise(int n) {
    SplittableRandom rng = new SplittableRandom(42);
    float[] out = new float[n];
    for (int i = 0; i < n; i++) {
      out[i] = (float) (rng.nextDouble() * 2 - 1);
    }
    return out;
  }
}
