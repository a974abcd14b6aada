package ai.igspark.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.igspark.ckpt.CheckpointDamage;
import ai.igspark.ckpt.CommittedRun;
import ai.igspark.model.ModelCheckpoints;
import ai.igspark.model.Presets;
import ai.igspark.tensorfile.HostTensor;
import ai.igspark.tensorfile.SafetensorsFile;
import ai.igspark.tensorfile.TorchCheckpoint;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ExportCommandTest {
  @TempDir Path dir;

  private static Path fixture() throws Exception {
    return Path.of(
        ExportCommandTest.class
            .getResource("/fixtures/model-parity/sit-tiny/checkpoint.pt")
            .toURI());
  }

  @Test
  void officialPtExportsItsEmaUnderTheSameNamesAndValues() throws Exception {
    Path out = dir.resolve("ema.safetensors");
    CliRun r =
        CliRun.of(
            "export", "--checkpoint", fixture().toString(), "--model", "sit-tiny", "--output",
            out.toString());
    assertEquals(0, r.code(), r.err());
    Map<String, HostTensor> ema = TorchCheckpoint.read(fixture()).stateDict("ema");
    try (SafetensorsFile st = SafetensorsFile.open(out)) {
      assertEquals(ema.keySet(), java.util.Set.copyOf(st.names()));
      for (String name : st.names()) {
        assertTrue(
            java.util.Arrays.equals(ema.get(name).toFloats(), st.read(name).toFloats()), name);
      }
    }
    assertTrue(ModelCheckpoints.embeddedConfig(out).isPresent());
  }

  @Test
  void runWithoutACommittedCheckpointIsRefused() throws Exception {
    Files.createDirectories(dir.resolve("run/checkpoints"));
    CliRun r =
        CliRun.of(
            "export", "--run", dir.resolve("run").toString(), "--output",
            dir.resolve("o.safetensors").toString());
    assertEquals(2, r.code());
    assertTrue(r.err().contains("no committed checkpoint"), r.err());
  }

  private Path run() throws Exception {
    return CommittedRun.create(dir.resolve("run"), Presets.get("sit-tiny"), 10, 20);
  }

  private static float[] floats(Path safetensors) {
    try (SafetensorsFile st = SafetensorsFile.open(safetensors)) {
      java.util.List<Float> all = new java.util.ArrayList<>();
      for (String name : st.names()) {
        for (float f : st.read(name).toFloats()) {
          all.add(f);
        }
      }
      float[] out = new float[all.size()];
      for (int i = 0; i < out.length; i++) {
        out[i] = all.get(i);
      }
      return out;
    }
  }

  @Test
  void runExportsTheLatestCommittedEmaAndStepPicksAnother() throws Exception {
    Path run = run();
    Path latest = dir.resolve("latest.safetensors");
    CliRun a = CliRun.of("export", "--run", run.toString(), "--output", latest.toString());
    assertEquals(0, a.code(), a.err());
    assertArrayEquals(floats(CommittedRun.file(run, 20, "ema.safetensors")), floats(latest));
    Path ten = dir.resolve("ten.safetensors");
    CliRun b = CliRun.of("export", "--run", run.toString(), "--step", "10", "--output",
        ten.toString());
    assertEquals(0, b.code(), b.err());
    assertArrayEquals(floats(CommittedRun.file(run, 10, "ema.safetensors")), floats(ten));
  }

  @Test
  void runWhoseEmaHasFlippedBytesIsRefusedAndNothingIsWritten() throws Exception {
    Path run = run();
    CommittedRun.rot(CommittedRun.file(run, 20, "ema.safetensors"), false);
    Path out = dir.resolve("o.safetensors");
    CliRun r = CliRun.of("export", "--run", run.toString(), "--output", out.toString());
    assertEquals(2, r.code(), r.err());
    assertTrue(r.err().contains("step-00000020/ema.safetensors: SHA-256"), r.err());
    assertTrue(r.err().contains("differs from the manifest's"), r.err());
    assertTrue(Files.notExists(out));
  }

  @Test
  void emaWhoseHadoopCrcDisagreesIsRefusedAsDamaged() throws Exception {
    Path run = run();
    CommittedRun.rot(CommittedRun.file(run, 20, "ema.safetensors"), true);
    CliRun r = CliRun.of("export", "--run", run.toString(), "--output",
        dir.resolve("o.safetensors").toString());
    assertEquals(2, r.code(), r.err());
    assertTrue(r.err().contains("ema.safetensors: Hadoop checksum mismatch"), r.err());
    assertTrue(r.err().contains("The checkpoint is damaged"), r.err());
    assertTrue(!r.err().contains("\tat "), "no stack trace: " + r.err());
  }

  @Test
  void checkpointWhoseManifestOmitsTheOptimizerIsRefusedAsIncomplete() throws Exception {
    Path run = run();
    CheckpointDamage.MANIFEST_WITHOUT_THE_OPTIMIZER.apply(
        CommittedRun.file(run, 20, "MANIFEST.json").getParent());
    CliRun r = CliRun.of("export", "--run", run.toString(), "--output",
        dir.resolve("o.safetensors").toString());
    assertEquals(2, r.code(), r.err());
    assertTrue(r.err().contains("incomplete checkpoint"), r.err());
    assertTrue(r.err().contains("[optimizer.safetensors]"), r.err());
  }

  @Test
  void outputInsideACommittedCheckpointIsRefused() throws Exception {
    Path run = run();
    Path into = CommittedRun.file(run, 20, "exported.safetensors");
    CliRun r = CliRun.of("export", "--run", run.toString(), "--output", into.toString());
    assertEquals(2, r.code(), r.err());
    assertTrue(r.err().contains("lies inside the committed checkpoint"), r.err());
    assertTrue(Files.notExists(into));
  }

  @Test
  void outputOverTheInputFileIsRefused() throws Exception {
    Path ema = Files.copy(CommittedRun.file(run(), 20, "ema.safetensors"),
        dir.resolve("weights.safetensors"));
    byte[] before = Files.readAllBytes(ema);
    CliRun r = CliRun.of("export", "--checkpoint", ema.toString(), "--output", ema.toString());
    assertEquals(2, r.code(), r.err());
    assertTrue(r.err().contains("that is one of this command's inputs"), r.err());
    assertArrayEquals(before, Files.readAllBytes(ema));
  }

  @Test
  void stepWithoutRunIsRefused() throws Exception {
    CliRun r = CliRun.of("export", "--checkpoint", fixture().toString(), "--model", "sit-tiny",
        "--step", "3", "--output", dir.resolve("o.safetensors").toString());
    assertEquals(2, r.code(), r.err());
    assertTrue(r.err().contains("--step picks a checkpoint of --run DIR"), r.err());
  }
}
