package ai.igspark.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.igspark.ckpt.CommittedRun;
import ai.igspark.data.format.DatasetKind;
import ai.igspark.data.format.DatasetWriter;
import ai.igspark.data.format.Normalization;
import ai.igspark.model.IgDiT;
import ai.igspark.model.ModelCheckpoints;
import ai.igspark.model.ModelConfig;
import ai.igspark.tensorfile.DType;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code igspark evaluate --checkpoint}: sampling on Spark and FD-FMNIST per guidance setting. */
class EvaluateCheckpointTest {
  @TempDir Path dir;

  /** A 1×32×32 pixel model of 10 classes, the shape FD-FMNIST measures. */
  static ModelConfig pixelModel() {
    return ModelConfig.fromTree(
        Map.of(
            "family", "sit", "input_size", 32, "in_channels", 1, "patch_size", 8,
            "hidden_size", 32, "depth", 2, "num_heads", 2, "num_classes", 10, "ig_depth", 1),
        "test");
  }

  private Path weights() throws Exception {
    Path file = dir.resolve("ema.safetensors");
    try (NDManager m = NDManager.newBaseManager();
        IgDiT model = IgDiT.create(pixelModel(), m, 3)) {
      ModelCheckpoints.exportSafetensors(model, file);
    }
    return file;
  }

  private Path realImages() {
    return realImages(dir);
  }

  /** 200 noisy 1×32×32 images of 10 classes under {@code dir}/real: an FD-FMNIST reference. */
  static Path realImages(Path dir) {
    SplittableRandom rng = new SplittableRandom(1);
    String uri = dir.resolve("real").toString();
    DatasetWriter w =
        DatasetWriter.to(uri)
            .latentShape(1, 32, 32)
            .storedDType(DType.F32)
            .numClasses(10)
            .kind(DatasetKind.LATENTS)
            .withFlips(false)
            .normalization(Normalization.identity())
            .vae("none")
            .source("EvaluateCheckpointTest")
            .samplesPerShard(200)
            .build();
    for (int i = 0; i < 200; i++) {
      float[] x = new float[32 * 32];
      for (int p = 0; p < x.length; p++) {
        x[p] = (float) Math.max(-1, Math.min(1, rng.nextGaussian() * 0.5 - 0.3));
      }
      w.add(x, null, i % 10);
    }
    w.commit();
    return Path.of(uri);
  }

  @Test
  void sweepMeasuresEverySettingInOneCommand() throws Exception {
    Path out = dir.resolve("metrics.json");
    CliRun r =
        CliRun.of(
            "evaluate", "--checkpoint", weights().toString(), "--reference",
            realImages().toString(), "--num-samples", "20", "--sampler", "ode-euler",
            "--steps", "2", "--sweep", "ig-scale=1.0,1.5", "cfg-scale=1.0,2.0",
            "--output", out.toString());
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().contains("FD-FMNIST"), r.out());
    assertTrue(r.out().contains("biased upward"), r.out());
    JsonNode records = new ObjectMapper().readTree(out.toFile());
    assertEquals(4, records.size());
    for (JsonNode rec : records) {
      assertEquals("fd_fmnist", rec.get("metric").asText());
      assertTrue(rec.get("value").asDouble() > 0, rec.toString());
    }
    assertEquals(1.5, records.get(2).get("ig_scale").asDouble());
    assertEquals(2.0, records.get(1).get("cfg_scale").asDouble());
  }

  @Test
  void unknownSweepKeyIsNamed() throws Exception {
    CliRun r =
        CliRun.of(
            "evaluate", "--checkpoint", weights().toString(), "--reference",
            dir.toString(), "--sweep", "temperature=1,2");
    assertEquals(2, r.code());
    assertTrue(r.err().contains("--sweep: 'temperature=1,2'"), r.err());
  }

  @Test
  void savingTheSamplesOfASweepIsRefused() throws Exception {
    CliRun r =
        CliRun.of(
            "evaluate", "--checkpoint", weights().toString(), "--reference", dir.toString(),
            "--sweep", "ig-scale=1.0,1.5", "--save-samples", dir.resolve("s.npy").toString());
    assertEquals(2, r.code());
    assertTrue(r.err().contains("--save-samples: writes the samples of one setting"), r.err());
  }

  @Test
  void samplesAndCheckpointExcludeEachOther() throws Exception {
    CliRun r =
        CliRun.of(
            "evaluate", "--reference", dir.toString(), "--samples", "s.npz", "--checkpoint",
            weights().toString());
    assertEquals(2, r.code());
    assertTrue(r.err().contains("exactly one of --samples"), r.err());
  }

  private static String fixture(String path) throws Exception {
    return Path.of(EvaluateCheckpointTest.class.getResource("/fixtures/" + path).toURI())
        .toString();
  }

  private Path latentWeights() throws Exception {
    Path file = dir.resolve("latent.safetensors");
    try (NDManager m = NDManager.newBaseManager();
        IgDiT model = IgDiT.create(ai.igspark.model.Presets.get("sit-tiny"), m, 3)) {
      ModelCheckpoints.exportSafetensors(model, file);
    }
    return file;
  }

  private Path latentDataset() {
    String uri = dir.resolve("latents").toString();
    DatasetWriter w =
        DatasetWriter.to(uri)
            .latentShape(4, 8, 8)
            .storedDType(DType.F32)
            .numClasses(10)
            .kind(DatasetKind.LATENTS)
            .withFlips(false)
            .normalization(Normalization.sdVae())
            .vae("stand-in")
            .source("EvaluateCheckpointTest")
            .samplesPerShard(10)
            .build();
    for (int i = 0; i < 10; i++) {
      w.add(new float[256], null, i);
    }
    w.commit();
    return Path.of(uri);
  }

  // Slow: two 2048-d and two 2023-d Fréchet distances (~45 s on a loaded 2-core machine); the
  // default suite covers the latent path in TrainDriverTest and SampleEvaluationJobTest.
  @org.junit.jupiter.api.Tag("slow")
  @Test
  void latentCheckpointsAreMeasuredWithFidOverAnIntervalSweep() throws Exception {
    Path out = dir.resolve("latent-metrics.json");
    CliRun r =
        CliRun.of(
            "evaluate", "--checkpoint", latentWeights().toString(),
            "--vae-decoder", fixture("decoder-standin/decoder.pt"),
            "--inception", fixture("inception-standin/standin.pt"),
            "--dataset", latentDataset().toString(),
            "--reference", fixture("inception-standin/reference.npz"),
            "--num-samples", "10", "--sampler", "ode-euler", "--steps", "2",
            "--sweep", "ig-interval=0.3:1,0:1", "--output", out.toString());
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().contains("FID") && r.out().contains("sFID"), r.out());
    assertTrue(r.out().contains("0.3:1.0") && r.out().contains("0.0:1.0"), r.out());
    JsonNode records = new ObjectMapper().readTree(out.toFile());
    assertEquals(2, records.size());
    for (JsonNode rec : records) {
      assertEquals("fid", rec.get("metric").asText());
      assertTrue(rec.get("value").asDouble() > 0, rec.toString());
      assertEquals("floor", rec.get("uint8").asText());
      assertEquals(64, rec.get("decoder_sha256").asText().length());
    }
    assertEquals(0.3, records.get(0).get("ig_interval").get(0).asDouble(), 1e-6);
  }

  @Test
  void aDecoderWithoutTheDatasetIsRefusedNamingTheOption() throws Exception {
    CliRun r =
        CliRun.of(
            "evaluate", "--checkpoint", latentWeights().toString(),
            "--vae-decoder", fixture("decoder-standin/decoder.pt"),
            "--inception", fixture("inception-standin/standin.pt"),
            "--reference", fixture("inception-standin/reference.npz"));
    assertEquals(2, r.code());
    assertTrue(r.err().contains("--vae-decoder needs --dataset"), r.err());
  }

  @Test
  void aDatasetOfAnotherLatentShapeIsNamed() throws Exception {
    Path data = realImages(); // 1×32×32 pixels, not the model's 4×8×8 latents
    CliRun r =
        CliRun.of(
            "evaluate", "--checkpoint", latentWeights().toString(),
            "--vae-decoder", fixture("decoder-standin/decoder.pt"),
            "--inception", fixture("inception-standin/standin.pt"),
            "--dataset", data.toString(),
            "--reference", fixture("inception-standin/reference.npz"));
    assertEquals(2, r.code());
    assertTrue(r.err().contains(data + ": latents of shape [1, 32, 32]"), r.err());
    assertTrue(r.err().contains("samples [4, 8, 8]"), r.err());
  }

  @Test
  void runEvaluatesTheEmaOfItsLatestCommittedCheckpoint() throws Exception {
    Path run = CommittedRun.create(dir.resolve("run"), pixelModel(), 10);
    Path out = dir.resolve("metrics.json");
    CliRun r =
        CliRun.of(
            "evaluate", "--run", run.toString(), "--reference", realImages().toString(),
            "--num-samples", "20", "--sampler", "ode-euler", "--steps", "2",
            "--output", out.toString());
    assertEquals(0, r.code(), r.err());
    JsonNode records = new ObjectMapper().readTree(out.toFile());
    assertEquals(1, records.size());
    assertTrue(records.get(0).get("checkpoint").asText()
        .endsWith("step-00000010/ema.safetensors"), records.toString());
  }

  @Test
  void fileInsideACommittedCheckpointIsVerifiedBeforeAnythingRuns() throws Exception {
    Path run = CommittedRun.create(dir.resolve("run"), pixelModel(), 10);
    Path ema = CommittedRun.file(run, 10, "ema.safetensors");
    CommittedRun.rot(ema, false);
    CliRun r =
        CliRun.of(
            "evaluate", "--checkpoint", ema.toString(), "--reference", dir.toString(),
            "--num-samples", "20");
    assertEquals(2, r.code(), r.err());
    assertTrue(r.err().contains("ema.safetensors: SHA-256"), r.err());
  }

  @Test
  void metricsOutputInsideACommittedCheckpointIsRefused() throws Exception {
    Path run = CommittedRun.create(dir.resolve("run"), pixelModel(), 10);
    Path into = CommittedRun.file(run, 10, "metrics.json");
    CliRun r =
        CliRun.of(
            "evaluate", "--run", run.toString(), "--reference", dir.toString(),
            "--output", into.toString());
    assertEquals(2, r.code(), r.err());
    assertTrue(r.err().contains("lies inside the committed checkpoint"), r.err());
    assertTrue(java.nio.file.Files.notExists(into));
  }
}
