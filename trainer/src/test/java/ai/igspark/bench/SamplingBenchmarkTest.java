package ai.igspark.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.igspark.diffusion.Sampler;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Smoke test of {@code igspark bench sampling} at sit-tiny size. */
class SamplingBenchmarkTest {

  @Test
  void tinyRunTimesEveryGuidanceVariantAgainstUnguided() {
    SamplingBenchmark.Result r = SamplingBenchmark.run(
        new SamplingBenchmark.Settings("sit-tiny", Sampler.ODE_EULER, 3, 2, 1, 0, 2));

    assertEquals(List.of("unguided", "ig", "cfg", "ig+cfg"),
        r.timings().stream().map(Timings::variant).toList());
    assertEquals(1.0, r.relative("unguided"), 0.0);
    for (Timings t : r.timings()) {
      assertEquals(2, t.seconds().length);
      for (double s : t.seconds()) {
        assertTrue(s > 0 && s < 60, t.variant() + " took " + s + " s");
      }
    }
    assertTrue(r.summary().contains("| ig+cfg |"), r.summary());
  }
}
