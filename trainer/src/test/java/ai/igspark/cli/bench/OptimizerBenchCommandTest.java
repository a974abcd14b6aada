package ai.igspark.cli.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.igspark.cli.CliRun;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class OptimizerBenchCommandTest {

  /** The columns of the row of {@code variant}: best, median, cpu, reads, bytes, ops, non-view. */
  private static String[] row(String out, String variant) {
    return Arrays.stream(out.split("\n"))
        .filter(l -> l.startsWith(variant + " "))
        .findFirst()
        .map(l -> l.substring(variant.length()).trim().split(" +"))
        .orElseThrow(() -> new AssertionError("no row '" + variant + "' in\n" + out));
  }

  /** sit-tiny's 72,192 floats are one group of 100,000: 121 non-view operators against 775. */
  @Test
  void flatStepReadsOneDoubleAndRunsFewerKernelsThanThePerParameterStep() {
    CliRun r = CliRun.of(
        "bench", "optimizer", "--preset", "sit-tiny", "--steps", "1", "--group-floats", "100000");
    assertEquals(0, r.code(), r.err());
    String[] perParameter = row(r.out(), "per-parameter");
    String[] flat = row(r.out(), "flat 100000");
    assertEquals("1", flat[3], "host reads per flat step");
    assertEquals("8", flat[4], "bytes read per flat step: one float64");
    assertTrue(Long.parseLong(flat[6]) < Long.parseLong(perParameter[6]) / 2,
        "non-view operators, flat against per-parameter:\n" + r.out());
  }

  /**
   * With the parameters stored flat, as the model stores them, nothing is per tensor but its
   * gradient norm: sit-tiny's 45 tensors in one group take 75 non-view operators (45 norms, the
   * rest for the group), against 121 when the group's gradients are gathered first.
   */
  @Test
  void flatParametersStepRunsOneNormPerTensorAndAFewKernelsForTheGroup() {
    CliRun r = CliRun.of(
        "bench", "optimizer", "--preset", "sit-tiny", "--steps", "1", "--group-floats", "100000",
        "--no-per-parameter");
    assertEquals(0, r.code(), r.err());
    String[] flatParams = row(r.out(), "flat params 100000");
    assertEquals("1", flatParams[3], "host reads per step");
    long nonView = Long.parseLong(flatParams[6]);
    assertTrue(nonView <= 45 + 40, "non-view operators: 45 norms and a few dozen for the group:\n"
        + r.out());
    assertTrue(nonView < Long.parseLong(row(r.out(), "flat 100000")[6]), r.out());
  }

  @Test
  void aGroupSizeBelowOneFloatIsAUsageError() {
    CliRun r = CliRun.of("bench", "optimizer", "--preset", "sit-tiny", "--group-floats", "0");
    assertEquals(2, r.code());
    assertTrue(r.err().contains("--group-floats: 0"), r.err());
  }
}
