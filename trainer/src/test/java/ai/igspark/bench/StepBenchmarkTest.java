package ai.igspark.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.igspark.data.InvalidInputException;
import ai.igspark.model.ModelCheckpoints;
import ai.igspark.model.Presets;
import ai.igspark.tensorfile.HostTensor;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Smoke test of {@code igspark bench step} at sit-tiny size, on the committed traced fixture. */
class StepBenchmarkTest {
  static final Path FIXTURE = Path.of("src/test/resources/fixtures/step-bench");
  static final Path TRACED = FIXTURE.resolve("sit-tiny-ig.pt");
  static final Path WEIGHTS = FIXTURE.resolve("weights.safetensors");

  @TempDir Path tmp;

  private StepBenchmark.Settings settings(Path weights) {
    return new StepBenchmark.Settings("sit-tiny", 2, List.of(1), 1, 2, null, TRACED, weights, tmp);
  }

  @Test
  void tinyRunTimesIgsparkAndTorchScriptOnTheSameWeights() throws Exception {
    StepBenchmark.Result r = StepBenchmark.run(settings(WEIGHTS));

    assertEquals("sit-tiny", r.model());
    assertEquals(2, r.batch());
    assertTrue(r.maxAbsDiff() <= StepBenchmark.PARITY_TOLERANCE, "diff " + r.maxAbsDiff());
    assertEquals(2, r.timings().size());
    for (String v : List.of(StepBenchmark.IGSPARK, StepBenchmark.TORCHSCRIPT)) {
      Timings t = r.timing(v, 1);
      assertEquals(2, t.seconds().length);
      for (double s : t.seconds()) {
        assertTrue(s > 0 && s < 60, v + " step took " + s + " s");
      }
    }
    assertNull(r.torch(), "no python was run");
    assertTrue(r.summary().contains("| 1 | torchscript |"), r.summary());
  }

  @Test
  void tracedModuleOfOtherWeightsIsRefused() throws Exception {
    Map<String, HostTensor> w = new LinkedHashMap<>(ModelCheckpoints.load(WEIGHTS));
    HostTensor h = w.get("final_layer.linear.bias");
    float[] v = h.toFloats();
    v[0] += 0.5f;
    w.put("final_layer.linear.bias", HostTensor.ofFloats(h.shape(), v));
    Path other = tmp.resolve("other.safetensors");
    try (OutputStream out = Files.newOutputStream(other)) {
      ModelCheckpoints.exportSafetensors(Presets.get("sit-tiny"), w, out);
    }

    IllegalStateException e =
        assertThrows(IllegalStateException.class, () -> StepBenchmark.run(settings(other)));
    assertTrue(e.getMessage().contains("sit-tiny-ig.pt") && e.getMessage().contains("differ"),
        e.getMessage());
  }

  @Test
  void missingPythonNamesTheDebianPackage() {
    Path python = tmp.resolve("no-such-python3");
    InvalidInputException e =
        assertThrows(InvalidInputException.class, () -> PythonTorch.at(python, tmp));
    assertTrue(e.getMessage().contains(python.toString()), e.getMessage());
    assertTrue(e.getMessage().contains("apt-get install python3-torch"), e.getMessage());
  }
}
