package ai.igspark.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.igspark.config.RunConfig;
import ai.igspark.spark.LoopbackStandaloneCluster;
import ai.igspark.spark.SegmentJob;
import ai.igspark.spark.SparkContexts;
import ai.igspark.tensorfile.HostTensor;
import ai.igspark.tensorfile.SafetensorsFile;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Set;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Data-parallel training on a real standalone cluster (Master + 2 Workers on loopback, started
 * from the build's jars): 2 ranks in 2 executor JVMs, gradients all-reduced over the TCP ring,
 * end with the parameters of a 1-rank run of the same global batch and seed.
 */
@Tag("slow")
class StandaloneTrainingTest {
  @RegisterExtension
  static final LoopbackStandaloneCluster CLUSTER = LoopbackStandaloneCluster.withWorkers(2, "1g");

  private static JavaSparkContext sc;
  @TempDir static Path dir;

  @BeforeAll
  static void startSpark() throws Exception {
    sc =
        SparkContexts.builder()
            .master(CLUSTER.masterUrl())
            .appName("standalone-training-test")
            .worldSize(2)
            .executorMemory("768m")
            .executorClassPath(CLUSTER.executorClassPath())
            .uiEnabled(false)
            .start();
    long deadline = System.nanoTime() + 180_000_000_000L;
    while (SegmentJob.availableSlots(sc) < 2 && System.nanoTime() < deadline) {
      Thread.sleep(200);
    }
    assertEquals(2, SegmentJob.availableSlots(sc), "executors did not register");
  }

  @AfterAll
  static void stopSpark() {
    if (sc != null) {
      sc.close();
    }
  }

  private static void train(Path config) throws Exception {
    RunConfig cfg = RunConfig.load(config);
    new TrainDriver(cfg, config.toString(), Set.of(), new PrintStream(new ByteArrayOutputStream()))
        .run(sc, false);
  }

  @Test
  void twoRanksEndWithTheParametersOfOneRank() throws Exception {
    String manifest = TinyRun.dataset(dir);
    Path one = dir.resolve("one-rank");
    Path two = dir.resolve("two-ranks");
    train(TinyRun.config(dir, "one-rank", one.toString(), manifest, 4, 2, 1));
    train(TinyRun.config(dir, "two-ranks", two.toString(), manifest, 4, 2, 2));

    String file = "checkpoints/step-00000004/" + TrainingState.MODEL_FILE;
    try (SafetensorsFile a = SafetensorsFile.open(one.resolve(file));
        SafetensorsFile b = SafetensorsFile.open(two.resolve(file))) {
      assertEquals(a.names(), b.names());
      double maxDiff = 0;
      for (String name : a.names()) {
        HostTensor ta = a.read(name);
        float[] fa = ta.toFloats();
        float[] fb = b.read(name).toFloats();
        for (int i = 0; i < fa.length; i++) {
          maxDiff = Math.max(maxDiff, Math.abs(fa[i] - fb[i]));
        }
      }
      assertTrue(maxDiff < 1e-5, "max parameter difference " + maxDiff);
    }
    // Adam hides a wrongly scaled gradient; the all-reduced loss sums do not.
    var conf = new org.apache.hadoop.conf.Configuration();
    var lossOne = losses(ai.igspark.ckpt.RunDirectory.open(one.toString(), conf).readMetrics());
    var lossTwo = losses(ai.igspark.ckpt.RunDirectory.open(two.toString(), conf).readMetrics());
    assertEquals(4, lossOne.size());
    for (int i = 0; i < lossOne.size(); i++) {
      assertEquals(lossOne.get(i), lossTwo.get(i), 1e-5, "loss at step " + (i + 1));
    }
  }

  private static java.util.List<Double> losses(java.util.List<com.fasterxml.jackson.databind.JsonNode> m) {
    return m.stream()
        .filter(r -> r.get("kind").asText().equals("train"))
        .map(r -> r.get("loss").asDouble())
        .toList();
  }
}
