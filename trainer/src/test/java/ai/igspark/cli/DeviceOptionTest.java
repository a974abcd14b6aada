package ai.igspark.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.igspark.device.ComputeDevice;
import java.net.URISyntaxException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --device} of sample, export and evaluate: parsed strictly, checked to exist before
 * anything is loaded, and {@code cpu} by default.
 */
class DeviceOptionTest {
  @TempDir Path dir;

  private static String checkpoint() throws URISyntaxException {
    return Path.of(DeviceOptionTest.class
        .getResource("/fixtures/model-parity/sit-tiny/checkpoint.pt").toURI()).toString();
  }

  /** A GPU ordinal this JVM does not have (gpu:0 on a machine without one). */
  private static String missingGpu() {
    return "gpu:" + ComputeDevice.visibleGpus();
  }

  private static void assertNoSuchGpu(CliRun r, String gpu) {
    assertEquals(2, r.code(), r.err());
    assertTrue(r.err().startsWith("igspark: error: --device " + gpu + ": no such GPU; this JVM"
        + " sees cpu"), r.err());
  }

  @Test
  void sampleRefusesAMissingGpuBeforeLoadingTheCheckpoint() throws Exception {
    String gpu = missingGpu();
    CliRun r = CliRun.of("sample", "--checkpoint", dir.resolve("absent.pt").toString(),
        "--model", "sit-tiny", "--output", dir.resolve("x.npy").toString(), "--device", gpu);

    assertNoSuchGpu(r, gpu);
  }

  @Test
  void exportRefusesAMissingGpu() throws Exception {
    String gpu = missingGpu();
    CliRun r = CliRun.of("export", "--checkpoint", checkpoint(), "--model", "sit-tiny",
        "--output", dir.resolve("w.safetensors").toString(), "--device", gpu);

    assertNoSuchGpu(r, gpu);
  }

  @Test
  void evaluateRefusesAMissingGpuOnBothPaths() throws Exception {
    String gpu = missingGpu();
    CliRun samples = CliRun.of("evaluate", "--reference", dir.resolve("ref.npz").toString(),
        "--samples", dir.resolve("s.npz").toString(), "--device", gpu);
    assertNoSuchGpu(samples, gpu);

    CliRun weights = CliRun.of("evaluate", "--reference", dir.resolve("ref").toString(),
        "--checkpoint", checkpoint(), "--model", "sit-tiny", "--device", gpu);
    assertNoSuchGpu(weights, gpu);
  }

  @Test
  void aMalformedDeviceNamesTheAcceptedForms() throws Exception {
    CliRun r = CliRun.of("export", "--checkpoint", checkpoint(), "--model", "sit-tiny",
        "--output", dir.resolve("w.safetensors").toString(), "--device", "cuda:0");

    assertEquals(2, r.code(), r.err());
    assertTrue(r.err().contains("--device 'cuda:0': expected cpu or gpu:N"), r.err());
  }

  @Test
  void theDefaultAndAnExplicitCpuWork() throws Exception {
    CliRun byDefault = CliRun.of("export", "--checkpoint", checkpoint(), "--model", "sit-tiny",
        "--output", dir.resolve("a.safetensors").toString());
    assertEquals(0, byDefault.code(), byDefault.err());
    CliRun cpu = CliRun.of("export", "--checkpoint", checkpoint(), "--model", "sit-tiny",
        "--output", dir.resolve("b.safetensors").toString(), "--device", "cpu");
    assertEquals(0, cpu.code(), cpu.err());
    CliRun help = CliRun.of("sample", "--help");
    assertTrue(help.out().contains("--device=cpu|gpu:N"), help.out());
  }
}
