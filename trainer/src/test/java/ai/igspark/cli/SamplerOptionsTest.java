package ai.igspark.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Bad sampler settings on the command line are usage errors naming the option. */
class SamplerOptionsTest {
  @TempDir Path dir;

  private CliRun sample(String option, String value) throws Exception {
    Path pt = checkpoint();
    String sampler = option.equals("--sampler") ? value : "ode-euler";
    String[] setting = option.equals("--sampler") ? new String[0] : new String[] {option, value};
    String[] args = {"sample", "--checkpoint", pt.toString(), "--model", "sit-tiny", "--sampler",
        sampler, "--num-samples", "2", "--output", dir.resolve("o.npy").toString()};
    return CliRun.of(java.util.stream.Stream.concat(
        java.util.Arrays.stream(args), java.util.Arrays.stream(setting)).toArray(String[]::new));
  }

  private Path checkpoint() throws Exception {
    return Path.of(
        getClass().getResource("/fixtures/model-parity/sit-tiny/checkpoint.pt").toURI());
  }

  private static void assertRefused(CliRun r, String message) {
    assertEquals(2, r.code(), r.out());
    assertTrue(r.err().contains(message), r.err());
  }

  @Test
  void anUnknownSamplerIsNamed() throws Exception {
    assertRefused(sample("--sampler", "heun3"), "--sampler: unknown sampler 'heun3'");
  }

  @Test
  void aShiftOfZeroIsNamed() throws Exception {
    assertRefused(sample("--timestep-shift", "0"), "--timestep-shift: 0.0");
  }

  @Test
  void anIntervalOutsideZeroOneIsNamed() throws Exception {
    assertRefused(sample("--ig-interval", "0.5,1.5"), "--ig-interval: '0.5,1.5'");
  }

  @Test
  void anIntervalWithLoAboveHiIsNamed() throws Exception {
    assertRefused(sample("--cfg-interval", "0.7:0.2"), "--cfg-interval: '0.7:0.2'");
  }

  @Test
  void zeroStepsAreNamed() throws Exception {
    assertRefused(sample("--steps", "0"), "--steps: 0 steps (1 grid points)");
  }

  @Test
  void aSweptShiftWithSdeEmIsNamed() throws Exception {
    Path pt = checkpoint();
    CliRun r = CliRun.of("evaluate", "--reference", dir.toString(), "--checkpoint", pt.toString(),
        "--model", "sit-tiny", "--sweep", "timestep-shift=1,0.3");
    assertRefused(r, "timestep-shift: 0.3 is for the ODE samplers");
  }

  /** The whole of stderr is one {@code igspark: error:} line naming the option; exit 2. */
  private static void assertOneErrorLine(CliRun r, String start) {
    assertEquals(2, r.code(), r.out());
    java.util.List<String> lines = r.err().lines().toList();
    assertEquals(1, lines.size(), r.err());
    assertTrue(lines.get(0).startsWith("igspark: error: " + start), r.err());
  }

  @Test
  void sampleReportsABadShiftAsOneErrorLine() throws Exception {
    assertOneErrorLine(sample("--timestep-shift", "-1"), "--timestep-shift: -1.0");
  }

  @Test
  void evaluateReportsABadShiftAsOneErrorLine() throws Exception {
    CliRun r = CliRun.of("evaluate", "--reference", dir.toString(), "--checkpoint",
        checkpoint().toString(), "--model", "sit-tiny", "--sampler", "ode-heun2",
        "--timestep-shift", "0");
    assertOneErrorLine(r, "--timestep-shift: 0.0");
  }
}
