package ai.igspark.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.igspark.ckpt.CommittedRun;
import ai.igspark.model.ModelCheckpoints;
import ai.igspark.model.Presets;
import ai.igspark.tensorfile.HostTensor;
import ai.igspark.tensorfile.Npy;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SampleCommandTest {
  @TempDir Path dir;

  private static Path fixture(String name) throws URISyntaxException {
    return Path.of(
        SampleCommandTest.class.getResource("/fixtures/model-parity/sit-tiny/" + name).toURI());
  }

  private CliRun sample(Path checkpoint, String... extra) {
    return sample(checkpoint, "ode-euler", 2, extra);
  }

  private CliRun sample(Path checkpoint, String sampler, int batch, String... extra) {
    String[] base = {
      "sample", "--checkpoint", checkpoint.toString(), "--sampler", sampler, "--steps", "3",
      "--num-samples", "5", "--batch-size", Integer.toString(batch), "--ig-scale", "1.5",
      "--cfg-scale", "2"
    };
    return CliRun.of(concat(base, extra));
  }

  private static String[] concat(String[] a, String[] b) {
    String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  @Test
  void officialPtAndExportedSafetensorsGiveTheSameSamples() throws Exception {
    Path pt = fixture("checkpoint.pt");
    Path fromPt = dir.resolve("pt.npy");
    CliRun a = sample(pt, "--model", "sit-tiny", "--output", fromPt.toString());
    assertEquals(0, a.code(), a.err());

    // The EMA weights of the .pt, exported as safetensors with the model config embedded.
    Path st = dir.resolve("ema.safetensors");
    try (var model =
        ai.igspark.model.IgDiT.create(
            Presets.get("sit-tiny"), ai.djl.ndarray.NDManager.newBaseManager(), 0)) {
      model.loadStateDict(ModelCheckpoints.load(pt), pt.toString());
      ModelCheckpoints.exportSafetensors(model, st);
    }
    Path fromSt = dir.resolve("st.npy");
    CliRun b = sample(st, "--output", fromSt.toString());
    assertEquals(0, b.code(), b.err());

    HostTensor x = Npy.read(fromPt);
    assertArrayEquals(new long[] {5, 4, 8, 8}, x.shape());
    assertArrayEquals(x.toFloats(), Npy.read(fromSt).toFloats());
  }

  @Test
  void sdeSamplesDoNotDependOnTheBatchSize() throws Exception {
    Path pt = fixture("checkpoint.pt");
    Path small = dir.resolve("small.npy");
    Path large = dir.resolve("large.npy");
    assertEquals(
        0, sample(pt, "sde-em", 2, "--model", "sit-tiny", "--output", small.toString()).code());
    assertEquals(
        0, sample(pt, "sde-em", 5, "--model", "sit-tiny", "--output", large.toString()).code());
    float[] a = Npy.read(small).toFloats();
    float[] b = Npy.read(large).toFloats();
    for (int i = 0; i < a.length; i++) {
      assertEquals(a[i], b[i], 1e-5f, "element " + i);
    }
  }

  @Test
  void noiseOfTheWrongShapeIsRefusedNamingTheFile() throws Exception {
    Path noise = dir.resolve("noise.npy");
    Npy.write(noise, HostTensor.ofFloats(new long[] {2, 3, 8, 8}, new float[2 * 3 * 64]));
    CliRun r = sample(fixture("checkpoint.pt"), "--model", "sit-tiny", "--noise",
        noise.toString(), "--output", dir.resolve("o.npy").toString());
    assertEquals(2, r.code());
    assertTrue(r.err().contains("noise.npy: expected float32 [N, 4, 8, 8]"), r.err());
  }

  @Test
  void labelOutsideTheClassesIsRefusedNamingTheValue() throws Exception {
    Path labels = dir.resolve("labels.npy");
    Npy.write(labels, HostTensor.ofLongs(new long[] {5}, new long[] {0, 1, 2, 3, 12}));
    CliRun r = sample(fixture("checkpoint.pt"), "--model", "sit-tiny", "--labels",
        labels.toString(), "--output", dir.resolve("o.npy").toString());
    assertEquals(2, r.code());
    assertTrue(r.err().contains("label 12 outside [0, 10]"), r.err());
  }

  @Test
  void labelCountMustMatchTheSampleCount() throws Exception {
    Path labels = dir.resolve("labels.npy");
    Npy.write(labels, HostTensor.ofInts(new long[] {3}, new int[] {0, 1, 2}));
    CliRun r = sample(fixture("checkpoint.pt"), "--model", "sit-tiny", "--labels",
        labels.toString(), "--output", dir.resolve("o.npy").toString());
    assertEquals(2, r.code());
    assertTrue(r.err().contains("3 labels for 5 samples"), r.err());
  }

  @Test
  void checkpointOfAnotherModelListsTheOffendingKeys() throws Exception {
    CliRun r = sample(fixture("checkpoint.pt"), "--model", "lightningdit-tiny", "--output",
        dir.resolve("o.npy").toString());
    assertEquals(2, r.code());
    assertTrue(r.err().contains("checkpoint.pt"), r.err());
    assertTrue(r.err().contains("missing keys"), r.err());
  }

  @Test
  void ptWithoutAModelChoiceAsksForOne() throws Exception {
    CliRun r = sample(fixture("checkpoint.pt"), "--output", dir.resolve("o.npy").toString());
    assertEquals(2, r.code());
    assertTrue(r.err().contains("give --model PRESET or --model-config FILE"), r.err());
    assertTrue(Files.notExists(dir.resolve("o.npy")));
  }

  private CliRun sampleRun(String... sourceAndOutputs) {
    String[] base = {"sample", "--sampler", "ode-euler", "--steps", "2", "--num-samples", "3"};
    return CliRun.of(concat(base, sourceAndOutputs));
  }

  @Test
  void runSamplesTheCommittedEmaOfLatestLikeTheFileItself() throws Exception {
    Path run = CommittedRun.create(dir.resolve("run"), Presets.get("sit-tiny"), 10, 20);
    Path fromRun = dir.resolve("run.npy");
    assertEquals(0, sampleRun("--run", run.toString(), "--output", fromRun.toString()).code());
    Path st = Files.copy(CommittedRun.file(run, 20, "ema.safetensors"),
        dir.resolve("copy.safetensors"));
    Path fromFile = dir.resolve("file.npy");
    CliRun f = sampleRun("--checkpoint", st.toString(), "--output", fromFile.toString());
    assertEquals(0, f.code(), f.err());
    assertArrayEquals(Npy.read(fromFile).toFloats(), Npy.read(fromRun).toFloats());
    Path ten = dir.resolve("ten.npy");
    CliRun t = sampleRun("--run", run.toString(), "--step", "10", "--output", ten.toString());
    assertEquals(0, t.code(), t.err()); // which step is read: ExportCommandTest
    assertTrue(Files.exists(ten));
  }

  @Test
  void fileInsideACommittedCheckpointIsVerifiedAgainstItsManifest() throws Exception {
    Path run = CommittedRun.create(dir.resolve("run"), Presets.get("sit-tiny"), 10);
    Path ema = CommittedRun.file(run, 10, "ema.safetensors");
    CommittedRun.rot(ema, false);
    Path out = dir.resolve("o.npy");
    CliRun r = sampleRun("--checkpoint", ema.toString(), "--output", out.toString());
    assertEquals(2, r.code(), r.err());
    assertTrue(r.err().contains("ema.safetensors: SHA-256"), r.err());
    assertTrue(Files.notExists(out));
  }

  @Test
  void outputsInsideACommittedCheckpointAreRefused() throws Exception {
    Path run = CommittedRun.create(dir.resolve("run"), Presets.get("sit-tiny"), 10);
    Path npy = CommittedRun.file(run, 10, "samples.npy");
    CliRun a = sampleRun("--run", run.toString(), "--output", npy.toString());
    assertEquals(2, a.code(), a.err());
    assertTrue(a.err().contains("--output " + npy + ": lies inside the committed checkpoint"),
        a.err());
    Path png = run.resolve("checkpoints/grid.png");
    CliRun b = sampleRun("--run", run.toString(), "--grid", png.toString());
    assertEquals(2, b.code(), b.err());
    assertTrue(b.err().contains("lies inside the checkpoint store"), b.err());
    assertTrue(Files.notExists(npy) && Files.notExists(png));
  }
}
