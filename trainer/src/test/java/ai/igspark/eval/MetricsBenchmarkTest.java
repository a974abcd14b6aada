package ai.igspark.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class MetricsBenchmarkTest {

  @Test
  void smallRunReportsRatesAndAgreeingRoutes() {
    MetricsBenchmark.Result r = MetricsBenchmark.run(OpenBlasLinearAlgebra.load(), 64, 500, 1);
    assertEquals("openblas", r.library());
    assertTrue(r.accumulationFeaturesPerSecond() > 0 && r.fidSeconds() > 0, r.toString());
    assertTrue(r.fid() > 0, r.toString());
    assertEquals(r.fid(), r.fidSymmetricEigen(), 1e-9 * r.fid());
  }
}
