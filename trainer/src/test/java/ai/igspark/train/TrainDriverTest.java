package ai.igspark.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.igspark.ckpt.RunDirectory;
import ai.igspark.config.RunConfig;
import ai.igspark.data.InvalidInputException;
import ai.igspark.tensor.DeviceTransfer;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** End-to-end training in Spark local mode on a tiny model and dataset. */
class TrainDriverTest {
  @RegisterExtension static final LocalTraining training = new LocalTraining();
  private static String manifest;

  @TempDir Path dir;

  @BeforeAll
  static void tinyDataset() {
    manifest = training.manifest(); // the extension made it before this method runs
  }

  private TrainDriver.Outcome train(Path config, Set<String> allowed) throws Exception {
    return training.train(config, allowed);
  }

  private static PrintStream quiet() {
    return new PrintStream(new ByteArrayOutputStream());
  }

  private static Path emaOf(Path runDir, long step) {
    return runDir.resolve("checkpoints").resolve(String.format("step-%08d", step))
        .resolve(TrainingState.EMA_FILE);
  }

  @Test
  void trainingRunsAllSegmentsAndLossFalls() throws Exception {
    Path run = dir.resolve("run");
    TrainDriver.Outcome out =
        train(TinyRun.config(dir, "falls", run.toString(), manifest, 40, 20, 1), Set.of());
    assertEquals(40, out.step());
    assertEquals(2, out.segments());
    List<JsonNode> metrics = RunDirectory.open(run.toString(), new Configuration()).readMetrics();
    List<JsonNode> train = metrics.stream().filter(m -> m.get("kind").asText().equals("train"))
        .toList();
    assertEquals(40, train.size());
    double first = train.get(0).get("loss").asDouble();
    double last = train.get(train.size() - 1).get("loss").asDouble();
    assertTrue(last < 0.7 * first, "loss " + first + " -> " + last);
    assertTrue(train.get(train.size() - 1).get("loss_ig").asDouble() < train.get(0).get("loss_ig")
        .asDouble(), "the IG head learns too");
    assertTrue(Files.exists(emaOf(run, 40)));
  }

  @Test
  void resumedRunEndsBitwiseEqualToAnUninterruptedRun() throws Exception {
    Path straight = dir.resolve("straight");
    train(TinyRun.config(dir, "straight", straight.toString(), manifest, 6, 3, 1), Set.of());

    Path interrupted = dir.resolve("interrupted");
    train(TinyRun.config(dir, "interrupted", interrupted.toString(), manifest, 3, 3, 1), Set.of());
    WarmCache.clear(); // a new driver JVM: nothing warm, state comes from the checkpoint
    train(
        TinyRun.config(dir, "interrupted", interrupted.toString(), manifest, 6, 3, 1),
        Set.of("train.steps"));

    assertArrayEquals(
        TinyRun.tensorBytes(emaOf(straight, 6)), TinyRun.tensorBytes(emaOf(interrupted, 6)));
    assertArrayEquals(
        TinyRun.tensorBytes(straight.resolve("checkpoints/step-00000006/optimizer.safetensors")),
        TinyRun.tensorBytes(
            interrupted.resolve("checkpoints/step-00000006/optimizer.safetensors")));
  }

  @Test
  void warmCacheAndColdStartGiveTheSameWeights() throws Exception {
    Path warm = dir.resolve("warm");
    train(TinyRun.config(dir, "warm", warm.toString(), manifest, 4, 2, 1), Set.of());
    Path cold = dir.resolve("cold");
    train(TinyRun.config(dir, "cold", cold.toString(), manifest, 2, 2, 1), Set.of());
    WarmCache.clear();
    train(TinyRun.config(dir, "cold", cold.toString(), manifest, 4, 2, 1), Set.of("train"));
    assertArrayEquals(TinyRun.tensorBytes(emaOf(warm, 4)), TinyRun.tensorBytes(emaOf(cold, 4)));
  }

  @Test
  void twoReplicasPerTaskTrainLikeOne() throws Exception {
    Path one = dir.resolve("one-replica");
    Path two = dir.resolve("two-replicas");
    train(TinyRun.config(dir, "one-replica", one.toString(), manifest, 3, 3, 1, 1), Set.of());
    train(TinyRun.config(dir, "two-replicas", two.toString(), manifest, 3, 3, 1, 2), Set.of());
    float[] a = TinyRun.floats(emaOf(one, 3));
    float[] b = TinyRun.floats(emaOf(two, 3));
    assertEquals(a.length, b.length);
    double max = 0;
    for (int i = 0; i < a.length; i++) {
      max = Math.max(max, Math.abs(a[i] - b[i]));
    }
    assertTrue(max < 1e-5, "max EMA difference " + max);
  }

  /** Checkpoint bytes of a run: EMA, model and optimizer of {@code step}. */
  private static List<byte[]> stateBytes(Path run, long step) throws Exception {
    Path ckpt = run.resolve("checkpoints").resolve(String.format("step-%08d", step));
    return List.of(
        TinyRun.tensorBytes(ckpt.resolve(TrainingState.EMA_FILE)),
        TinyRun.tensorBytes(ckpt.resolve(TrainingState.MODEL_FILE)),
        TinyRun.tensorBytes(ckpt.resolve("optimizer.safetensors")));
  }

  private static void assertSameState(Path a, Path b, long step) throws Exception {
    List<byte[]> x = stateBytes(a, step);
    List<byte[]> y = stateBytes(b, step);
    for (int i = 0; i < x.size(); i++) {
      assertArrayEquals(x.get(i), y.get(i), "checkpoint file " + i);
    }
  }

  /** Something that trains, run with emulated device semantics and a cold warm cache. */
  private interface Training {
    void run() throws Exception;
  }

  private static void underDeviceEmulation(Training training) throws Exception {
    WarmCache.clear();
    boolean was = DeviceTransfer.setEmulated(true);
    try {
      training.run();
    } finally {
      DeviceTransfer.setEmulated(was);
      WarmCache.clear();
    }
  }

  @Test
  void twoReplicasGiveTheSameBytesUnderEmulatedDeviceSemantics() throws Exception {
    Path cpu = dir.resolve("cpu");
    train(TinyRun.config(dir, "cpu", cpu.toString(), manifest, 3, 3, 1, 2), Set.of());
    Path device = dir.resolve("device");
    underDeviceEmulation(() ->
        train(TinyRun.config(dir, "device", device.toString(), manifest, 3, 3, 1, 2), Set.of()));
    assertSameState(cpu, device, 3);
  }

  @Test
  void aRunResumedUnderEmulatedDeviceSemanticsEndsLikeTheCpuRun() throws Exception {
    Path cpu = dir.resolve("cpu-straight");
    train(TinyRun.config(dir, "cpu-straight", cpu.toString(), manifest, 6, 3, 1, 2), Set.of());
    Path device = dir.resolve("device-resumed");
    underDeviceEmulation(() -> {
      train(TinyRun.config(dir, "device-resumed", device.toString(), manifest, 3, 3, 1, 2),
          Set.of());
      WarmCache.clear(); // cold: the state comes back through uploads from the checkpoint
      train(TinyRun.config(dir, "device-resumed", device.toString(), manifest, 6, 3, 1, 2),
          Set.of("train.steps"));
    });
    assertSameState(cpu, device, 6);
  }

  @Test
  void dataThatDoesNotFitTheModelIsRefusedNamingBoth() throws Exception {
    Path config = TinyRun.config(dir, "misfit", dir.resolve("r").toString(), manifest, 2, 2, 1);
    Files.writeString(config, Files.readString(config).replace("input_size: 8", "input_size: 16"));
    var e = assertThrows(InvalidInputException.class, () -> train(config, Set.of()));
    assertTrue(e.getMessage().contains("[1, 8, 8]"), e.getMessage());
    assertTrue(e.getMessage().contains("[1, 16, 16]"), e.getMessage());
  }

  @Test
  void aFailedEvaluationIsRecordedAndTrainingGoesOn() throws Exception {
    Path run = dir.resolve("evaluated");
    Path config = TinyRun.config(dir, "evaluated", run.toString(), manifest, 4, 2, 1);
    // The tiny 1×8×8 model cannot be measured with the Fashion-MNIST classifier: every
    // evaluation fails, and the run must finish regardless.
    Files.writeString(
        config,
        Files.readString(config)
            + "eval: {every_steps: 2, num_samples: 8, sampling_steps: 2, reference: "
            + manifest + "}\n");
    TrainDriver.Outcome out = train(config, Set.of());
    assertEquals(4, out.step());
    List<JsonNode> evals =
        RunDirectory.open(run.toString(), new Configuration()).readMetrics().stream()
            .filter(m -> m.get("kind").asText().equals("eval"))
            .toList();
    assertEquals(2, evals.size());
    assertTrue(evals.get(0).get("error").asText().contains("1×8×8"), evals.get(0).toString());
  }

  @Test
  void resumeFlagWithoutACheckpointIsRefused() throws Exception {
    Path config = TinyRun.config(dir, "fresh", dir.resolve("f").toString(), manifest, 2, 2, 1);
    RunConfig cfg = RunConfig.load(config);
    var e =
        assertThrows(
            InvalidInputException.class,
            () -> new TrainDriver(cfg, config.toString(), Set.of(), quiet())
                .run(training.sc(), true));
    assertTrue(e.getMessage().contains("no committed checkpoint"), e.getMessage());
    assertFalse(Files.exists(dir.resolve("f").resolve("checkpoints/LATEST")));
  }

  private static String fixture(String path) throws Exception {
    return Path.of(TrainDriverTest.class.getResource("/fixtures/" + path).toURI()).toString();
  }

  /** 16 latents of 4×8×8 with SD-VAE normalisation: what the stand-in decoder decodes. */
  private static String latentDataset(Path dir) {
    java.util.SplittableRandom rng = new java.util.SplittableRandom(5);
    String uri = dir.resolve("latent-data").toString();
    var w =
        ai.igspark.data.format.DatasetWriter.to(uri)
            .latentShape(4, 8, 8)
            .storedDType(ai.igspark.tensorfile.DType.F32)
            .numClasses(4)
            .kind(ai.igspark.data.format.DatasetKind.LATENTS)
            .withFlips(false)
            .normalization(ai.igspark.data.format.Normalization.sdVae())
            .vae("stand-in")
            .source("TrainDriverTest")
            .samplesPerShard(16)
            .build();
    for (int i = 0; i < 16; i++) {
      float[] z = new float[256];
      for (int p = 0; p < z.length; p++) {
        z[p] = (float) (5 * rng.nextGaussian());
      }
      w.add(z, null, i % 4);
    }
    w.commit();
    return uri + "/dataset.json";
  }

  private Path latentConfig(String name, Path run, String decoder) throws Exception {
    Path config = TinyRun.config(dir, name, run.toString(), latentDataset(dir), 2, 2, 1);
    Files.writeString(
        config,
        Files.readString(config).replace("in_channels: 1", "in_channels: 4")
            .replace("flip: random", "flip: none")
            + "eval: {every_steps: 2, num_samples: 8, sampling_steps: 2, vae_decoder: \""
            + decoder + "\", inception: \"" + fixture("inception-standin/standin.pt")
            + "\", reference: \"" + fixture("inception-standin/reference.npz") + "\"}\n");
    return config;
  }

  @Test
  void aLatentRunsFixedGridIsDecodedThroughTheConfiguredDecoder() throws Exception {
    Path run = dir.resolve("latent-grid");
    Path config = latentConfig("latent-grid", run, fixture("decoder-standin/decoder.pt"));
    Files.writeString(config, Files.readString(config)
        .replace("eval: {every_steps: 2,", "eval: {every_steps: 0, grid_every_steps: 2,"));
    assertEquals(2, train(config, Set.of()).step());
    List<JsonNode> grids =
        RunDirectory.open(run.toString(), new Configuration()).readMetrics().stream()
            .filter(m -> m.get("kind").asText().equals("grid"))
            .toList();
    assertEquals(1, grids.size(), grids.toString());
    assertTrue(grids.get(0).path("error").isMissingNode(), grids.toString());
    java.awt.image.BufferedImage png = javax.imageio.ImageIO.read(
        run.resolve(ai.igspark.eval.job.FixedGrid.relativePath(2)).toFile());
    // 8 decoded tiles per row, each wider than the 8×8 latent it came from.
    assertEquals(png.getWidth(), png.getHeight());
    assertTrue(png.getWidth() > 8 * 8, "grid of " + png.getWidth() + " px");
  }

  @Test
  void aFixedGridOfLatentsWithoutADecoderIsRefusedBeforeStepZero() throws Exception {
    Path run = dir.resolve("latent-nodecoder");
    Path config = TinyRun.config(dir, "latent-nodecoder", run.toString(), latentDataset(dir), 2,
        2, 1);
    Files.writeString(config, Files.readString(config).replace("in_channels: 1", "in_channels: 4")
        .replace("flip: random", "flip: none") + "eval: {grid_every_steps: 2}\n");
    var e = assertThrows(InvalidInputException.class, () -> train(config, Set.of()));
    assertTrue(e.getMessage().contains("eval.grid_every_steps 2 on a dataset of stand-in latents"
        + " needs eval.vae_decoder and eval.inception"), e.getMessage());
    assertFalse(Files.exists(run.resolve("checkpoints/LATEST")));
  }

  @Test
  void latentCheckpointsAreMeasuredWithFidThroughTheConfiguredFiles() throws Exception {
    Path run = dir.resolve("latent");
    String decoder = fixture("decoder-standin/decoder.pt");
    TrainDriver.Outcome out = train(latentConfig("latent", run, decoder), Set.of());
    assertEquals(2, out.step());
    List<JsonNode> evals =
        RunDirectory.open(run.toString(), new Configuration()).readMetrics().stream()
            .filter(m -> m.get("kind").asText().equals("eval"))
            .toList();
    assertEquals(1, evals.size());
    JsonNode e = evals.get(0);
    assertEquals("fid", e.get("metric").asText(), e.toString());
    assertTrue(Double.isFinite(e.get("value").asDouble()) && e.get("value").asDouble() > 0,
        e.toString());
    assertTrue(e.has("sfid") && e.has("inception_score"), e.toString());
    String incSha = ai.igspark.data.Sha256.of(
        Path.of(fixture("inception-standin/standin.pt")));
    assertEquals(incSha, e.get("extractor_sha256").asText());
    assertEquals(ai.igspark.data.Sha256.of(Path.of(decoder)),
        e.get("decoder_sha256").asText());
    assertEquals("floor", e.get("uint8").asText());
    String files = Files.readString(run.resolve("eval").resolve("extractors.json"));
    assertTrue(files.contains(incSha), files);
    assertTrue(Files.exists(run.resolve("eval/step-00000002/grid.png")));
  }

  @Test
  void aDecoderViolatingTheContractFailsTheEvaluationNotTheRun() throws Exception {
    Path run = dir.resolve("bad-decoder");
    String decoder = fixture("decoder-standin/one_channel.pt");
    TrainDriver.Outcome out = train(latentConfig("bad-decoder", run, decoder), Set.of());
    assertEquals(2, out.step());
    JsonNode e =
        RunDirectory.open(run.toString(), new Configuration()).readMetrics().stream()
            .filter(m -> m.get("kind").asText().equals("eval"))
            .findFirst().orElseThrow();
    assertTrue(e.get("error").asText().contains("one_channel.pt: violates the VAE-decoder"),
        e.toString());
  }
}
