package ai.igspark.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.igspark.tensorfile.HostTensor;
import ai.igspark.tensorfile.SafetensorsFile;
import ai.igspark.tensorfile.TorchCheckpoint;
import ai.igspark.model.ModelCheckpoints;
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
}
