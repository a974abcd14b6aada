package ai.igspark.eval.job;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.igspark.data.InvalidInputException;
import ai.igspark.data.format.Normalization;
import ai.igspark.diffusion.Sampler;
import ai.igspark.eval.DecoderStandIn;
import ai.igspark.eval.SamplerSpec;
import ai.igspark.eval.StandIn;
import ai.igspark.eval.TorchScriptInception;
import ai.igspark.eval.Uint8Convention;
import ai.igspark.model.IgDiT;
import ai.igspark.model.ModelCheckpoints;
import ai.igspark.model.ModelConfig;
import ai.igspark.model.Presets;
import ai.igspark.spark.SparkContexts;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.List;
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
  private static String latentJson;
  private static String latentWeights;

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
    weights = export(config, "ema.safetensors");
    ModelConfig latent = Presets.get("sit-tiny"); // 4×8×8 latents, what the stand-in decodes
    latentJson = new ObjectMapper().writeValueAsString(latent.toMap());
    latentWeights = export(latent, "latent-ema.safetensors");
  }

  private static String export(ModelConfig config, String name) throws Exception {
    Path file = dir.resolve(name);
    try (NDManager m = NDManager.newBaseManager();
        IgDiT model = IgDiT.create(config, m, 5)) {
      ModelCheckpoints.exportSafetensors(model, file);
    }
    return file.toString();
  }

  @AfterAll
  static void stop() {
    sc.stop();
  }

  private static SampleEvaluationJob.Spec spec(int n, int block) {
    return new SampleEvaluationJob.Spec(
        modelJson, weights, n, 7, euler(1.5f, 2f, SamplerSpec.LabelMode.BALANCED), block, null,
        "cpu");
  }

  static LatentDecoding standInDecoding() {
    return LatentDecoding.check(
        DecoderStandIn.file("decoder.pt"), StandIn.file("standin.pt"), Normalization.sdVae(),
        Uint8Convention.FLOOR, new int[] {4, 8, 8});
  }

  static SampleEvaluationJob.Spec latentSpec(
      String json, String weightsUri, int n, int block, LatentDecoding decoding) {
    return new SampleEvaluationJob.Spec(
        json, weightsUri, n, 7, euler(1.5f, 1f, SamplerSpec.LabelMode.BALANCED), block, decoding,
        "cpu");
  }

  /** Euler, 2 steps, both guidances on all of [0, 1]. */
  static SamplerSpec euler(float igScale, float cfgScale, SamplerSpec.LabelMode labels) {
    return new SamplerSpec(
        Sampler.ODE_EULER, 2, 1.0, igScale, SamplerSpec.Interval.ALL, cfgScale,
        SamplerSpec.Interval.ALL, labels);
  }

  private static void assertSameStatistics(
      SampleEvaluationJob.Result a, SampleEvaluationJob.Result b) {
    assertEquals(a.pool().count(), b.pool().count());
    assertArrayEquals(a.pool().toArray(), b.pool().toArray());
    if (a.spatial() != null || b.spatial() != null) {
      assertArrayEquals(a.spatial().toArray(), b.spatial().toArray());
    }
    assertArrayEquals(a.score().chunkScores(), b.score().chunkScores());
  }

  @Test
  void statisticsDoNotDependOnHowManyExecutorsShareTheBlocks() throws Exception {
    SampleEvaluationJob.Result spark = SampleEvaluationJob.run(sc, spec(30, 8));
    // The same 4 blocks as one partition in this thread: what a single executor computes.
    SampleEvaluationJob.Result serial =
        SampleEvaluationJob.runHere(spec(30, 8), new Configuration(), List.of(0, 1, 2, 3));
    assertEquals(30, spark.pool().count());
    assertSameStatistics(serial, spark);
    assertEquals(30, spark.score().samples());
  }

  @Test
  void statisticsUnderEmulatedDeviceSemanticsEqualTheCpuOnes() throws Exception {
    SampleEvaluationJob.Result cpu =
        SampleEvaluationJob.runHere(spec(20, 8), new Configuration(), List.of(0, 1, 2));
    boolean was = ai.igspark.tensor.DeviceTransfer.setEmulated(true);
    SampleEvaluationJob.Result device;
    try {
      device = SampleEvaluationJob.runHere(spec(20, 8), new Configuration(), List.of(0, 1, 2));
    } finally {
      ai.igspark.tensor.DeviceTransfer.setEmulated(was);
    }
    assertSameStatistics(cpu, device);
  }

  @Test
  void eachPartitionLoadsWeightsAndExtractorOnce() throws Exception {
    // 10 blocks over local[2]'s 2 partitions: 2 loads, not 10.
    assertEquals(2, SampleEvaluationJob.run(sc, spec(20, 2)).loads());
  }

  @Test
  void decodedLatentStatisticsDoNotDependOnTheExecutors() throws Exception {
    LatentDecoding decoding = standInDecoding();
    SampleEvaluationJob.Spec s = latentSpec(latentJson, latentWeights, 10, 4, decoding);
    SampleEvaluationJob.Result spark = SampleEvaluationJob.run(sc, s);
    SampleEvaluationJob.Result serial =
        SampleEvaluationJob.runHere(s, new Configuration(), List.of(0, 1, 2));
    assertEquals(TorchScriptInception.POOL_DIM, spark.pool().dim());
    assertEquals(TorchScriptInception.SPATIAL_DIM, spark.spatial().dim());
    assertEquals(10, spark.score().samples());
    assertSameStatistics(serial, spark);
    assertNotNull(spark.preview());
    assertEquals(32, spark.preview().height());
  }

  @Test
  void latentModelsWithoutADecoderAreRefusedWithTheShape() {
    var s = latentSpec(latentJson, latentWeights, 4, 4, null);
    var e = assertThrows(InvalidInputException.class, () -> SampleEvaluationJob.run(sc, s));
    assertTrue(e.getMessage().contains("4×8×8"), e.getMessage());
    assertTrue(e.getMessage().contains("--vae-decoder"), e.getMessage());
  }
}
