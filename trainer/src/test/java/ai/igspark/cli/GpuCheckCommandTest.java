package ai.igspark.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.igspark.device.ComputeDevice;
import ai.igspark.model.Presets;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** {@code igspark gpu-check} on this machine's CPU (no GPU here: exit 4, the CPU part printed). */
class GpuCheckCommandTest {

  @Test
  void withoutAGpuTheCpuPartRunsAndTheExitCodeSaysNoGpu() {
    Assumptions.assumeTrue(ComputeDevice.visibleGpus() == 0, "this machine has a GPU");

    CliRun r = CliRun.of("gpu-check", "--steps", "2", "--warmup", "1", "--timed-steps", "1");

    assertEquals(GpuCheckCommand.NO_GPU, r.code(), r.err() + r.out());
    assertEquals(4, GpuCheckCommand.NO_GPU, "documented in --help and cluster-config/README.md");
    String out = r.out();
    assertTrue(out.startsWith("engine: PyTorch 2.7.1, flavor "), out);
    assertTrue(out.contains("CUDA: not available"), out);
    assertTrue(out.contains("settings on GPUs: TF32 matmul "), out);
    assertTrue(out.contains("comparison: sit-tiny, 2 AdamW steps"), out);
    assertTrue(out.matches("(?s).*\\n  cpu    losses \\d+\\.\\d{6} \\d+\\.\\d{6}\\n.*"), out);
    assertTrue(out.matches("(?s).*\\nreplicas: 2 on cpu,cpu, one thread each, batch split,"
        + " gradients summed: weight difference \\d\\.\\d\\de[-+]\\d+ from 1 replica on cpu,"
        + " replicas bitwise identical: ok\\n.*"), out);
    assertTrue(out.matches("(?s).*\\nhost syncs: 1\\.0 device->host reads \\(\\d+ bytes\\) per"
        + " replicated step.*"), out);
    assertTrue(out.contains("timing: sit-tiny, batch 8"), out);
    assertTrue(out.matches("(?s).*\\n  cpu +\\d+\\.\\d\\d +\\d+\\.\\d\\d +\\d+\\.\\d\\d"
        + " +\\d+\\.\\d\\d +\\d+\\.\\d\\d\\n.*"), out);
    assertTrue(out.contains("measured by `igspark bench grad-sync`"), out);
    assertTrue(out.endsWith("no GPU found: ran the CPU part only (exit 4)\n"), out);
  }

  @Test
  void theComparisonIsDeterministicAndItsMetricsSeeDifferences() {
    var a = GpuCheckCommand.train(Presets.get("sit-tiny"), Device.cpu(), 2, 4);
    var b = GpuCheckCommand.train(Presets.get("sit-tiny"), Device.cpu(), 2, 4);

    assertEquals(0.0, GpuCheckCommand.maxRelative(a.losses(), b.losses()));
    assertEquals(0.0, GpuCheckCommand.weightDifference(b.weights(), a.weights(), a.initial()));
    assertTrue(GpuCheckCommand.weightDifference(a.initial(), a.weights(), a.initial()) == 1.0,
        "the initial weights are one whole training movement away");
    double[] nan = {Double.NaN, a.losses()[1]};
    assertEquals(Double.POSITIVE_INFINITY, GpuCheckCommand.maxRelative(nan, a.losses()));
    float[] w = a.weights().values().iterator().next().clone();
    w[0] = Float.NaN;
    Map<String, float[]> broken = new java.util.LinkedHashMap<>(a.weights());
    broken.put(a.weights().keySet().iterator().next(), w);
    assertEquals(Double.POSITIVE_INFINITY,
        GpuCheckCommand.weightDifference(broken, a.weights(), a.initial()));
  }

  @Test
  void badOptionsAreInputErrors() {
    CliRun r = CliRun.of("gpu-check", "--steps", "0");
    assertEquals(2, r.code(), r.err());
    CliRun preset = CliRun.of("gpu-check", "--preset", "SiT-XXL/2");
    assertEquals(2, preset.code(), preset.err());
    assertTrue(preset.err().contains("unknown preset 'SiT-XXL/2'"), preset.err());
  }
}
