package ai.igspark.eval.job;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.igspark.model.IgDiT;
import ai.igspark.model.ModelCheckpoints;
import ai.igspark.model.ModelConfig;
import ai.igspark.model.Presets;
import ai.igspark.spark.LoopbackStandaloneCluster;
import ai.igspark.spark.SegmentJob;
import ai.igspark.spark.SparkContexts;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The latent evaluation path (sampling, stand-in VAE decoder, stand-in Inception) on 2 executors
 * of a real standalone cluster and on local[1]: bitwise identical statistics and IS, because
 * blocks are fixed by sample index and merged in block order.
 */
@Tag("slow")
class SampleEvaluationStandaloneTest {
  @RegisterExtension
  static final LoopbackStandaloneCluster CLUSTER = LoopbackStandaloneCluster.withWorkers(2, "1g");

  @TempDir Path dir;

  @Test
  void twoExecutorsAndOneGiveIdenticalStatistics() throws Exception {
    ModelConfig config = Presets.get("sit-tiny");
    Path weights = dir.resolve("ema.safetensors");
    try (NDManager m = NDManager.newBaseManager();
        IgDiT model = IgDiT.create(config, m, 5)) {
      ModelCheckpoints.exportSafetensors(model, weights);
    }
    SampleEvaluationJob.Spec spec =
        SampleEvaluationJobTest.latentSpec(
            new ObjectMapper().writeValueAsString(config.toMap()), weights.toString(), 10, 3,
            SampleEvaluationJobTest.standInDecoding());

    SampleEvaluationJob.Result two;
    try (JavaSparkContext sc =
        SparkContexts.builder()
            .master(CLUSTER.masterUrl())
            .appName("sample-evaluation-standalone-test")
            .worldSize(2)
            .executorMemory("512m")
            .executorClassPath(CLUSTER.executorClassPath())
            .uiEnabled(false)
            .start()) {
      // Generous: executor JVMs start slowly on a loaded 2-core machine.
      long deadline = System.nanoTime() + 300_000_000_000L;
      while (SegmentJob.availableSlots(sc) < 2 && System.nanoTime() < deadline) {
        Thread.sleep(100);
      }
      assertEquals(2, SegmentJob.availableSlots(sc), "executors did not register");
      two = SampleEvaluationJob.run(sc, spec);
    }
    SampleEvaluationJob.Result one;
    try (JavaSparkContext sc =
        SparkContexts.builder().master("local[1]").uiEnabled(false).start()) {
      one = SampleEvaluationJob.run(sc, spec);
    }

    assertEquals(2, two.loads(), "4 blocks over 2 executors: one load per partition");
    assertEquals(1, one.loads());
    assertEquals(10, two.pool().count());
    assertArrayEquals(one.pool().toArray(), two.pool().toArray());
    assertArrayEquals(one.spatial().toArray(), two.spatial().toArray());
    assertArrayEquals(one.score().chunkScores(), two.score().chunkScores());
    assertArrayEquals(one.preview().pixels(), two.preview().pixels());
    assertTrue(two.score().mean() >= 1);
  }
}
