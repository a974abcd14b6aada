package ai.igspark.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.igspark.data.InvalidInputException;
import ai.igspark.data.ingest.HadoopConfiguration;
import ai.igspark.dist.SparkContexts;
import ai.igspark.model.IgDiT;
import ai.igspark.model.ModelCheckpoints;
import ai.igspark.model.ModelConfig;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SampleEvaluationJobTest {
  private static JavaSparkContext sc;
  @TempDir static Path dir;
  private static String modelJson;
  private static String weights;

  @BeforeAll
  static void start() throws Exception {
    sc = SparkContexts.builder().master("local[2]").uiEnabled(false).start();
    ModelConfig config =
        ModelConfig.fromTree(
            Map.of(
                "family", "sit", "input_size", 32, "in_channels", 1, "patch_size", 8,
                "hidden_size", 32, "depth", 2, "num_heads", 2, "num_classes", 10, "ig_depth", 1),
            "test");
    modelJson = new ObjectMapper().writeValueAsString(config.toMap());
    Path file = dir.resolve("ema.safetensors");
    try (NDManager m = NDManager.newBaseManager();
        IgDiT model = IgDiT.create(config, m, 5)) {
      ModelCheckpoints.exportSafetensors(model, file);
    }
    weights = file.toString();
  }

  @AfterAll
  static void stop() {
    sc.stop();
  }

  private static SampleEvaluationJob.Spec spec(int n, int block) {
    return new SampleEvaluationJob.Spec(
        modelJson, weights, n, true, 7, "ode-euler", 2, 1.5f, 0f, 1f, 2f, 0f, 1f, block);
  }

  @Test
  void statisticsDoNotDependOnHowManyExecutorsShareTheBlocks() throws Exception {
    SampleEvaluationJob.Result spark = SampleEvaluationJob.run(sc, spec(30, 8));
    // The same blocks one after another in this thread: what a single executor computes.
    FeatureStatistics serial = FeatureStatistics.create(128);
    HadoopConfiguration hadoop = new HadoopConfiguration(new Configuration());
    for (int b = 0; b < 4; b++) {
      serial.merge(
          FeatureStatistics.fromArray(
              SampleEvaluationJob.evaluateBlock(spec(30, 8), hadoop, b).statistics()));
    }
    Gaussian a = spark.features().gaussian();
    Gaussian b = serial.gaussian();
    assertEquals(30, a.count());
    assertArrayEquals(b.mean(), a.mean());
    assertArrayEquals(b.covariance(), a.covariance());
    assertEquals(30, spark.classifierScore().samples());
  }

  @Test
  void latentModelsAreReferredToTheEvaluateCommand() throws Exception {
    String latent =
        new ObjectMapper()
            .writeValueAsString(ai.igspark.model.Presets.get("sit-tiny").toMap());
    var s =
        new SampleEvaluationJob.Spec(
            latent, weights, 4, true, 7, "ode-euler", 2, 1f, 0f, 1f, 1f, 0f, 1f, 4);
    var e = assertThrows(InvalidInputException.class, () -> SampleEvaluationJob.run(sc, s));
    assertTrue(e.getMessage().contains("4×8×8"), e.getMessage());
  }
}
