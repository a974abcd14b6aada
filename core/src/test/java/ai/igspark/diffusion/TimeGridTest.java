package ai.igspark.diffusion;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.igspark.data.InvalidInputException;
import org.junit.jupiter.api.Test;

class TimeGridTest {

  @Test
  void sdeGridIsLinspaceToPointZeroFourThenZero() {
    double[] g = TimeGrid.sde(250);
    assertEquals(251, g.length);
    assertEquals(1.0, g[0]);
    assertEquals(1.0 - 0.96 / 249, g[1], 1e-15);
    assertEquals(0.04, g[249]);
    assertEquals(0.0, g[250]);
  }

  @Test
  void uniformGridRunsFromNoiseToData() {
    double[] g = TimeGrid.uniform(4);
    assertEquals(5, g.length);
    assertEquals(1.0, g[0]);
    assertEquals(0.5, g[2], 1e-15);
    assertEquals(0.0, g[4]);
  }

  @Test
  void shiftFollowsLightningDitFormulaInItsOwnTime() {
    // LightningDiT t = 0.5 maps to 0.3·0.5 / (1 − 0.7·0.5) ≈ 0.2308 (docs/METHOD.md §3.4).
    double[] g = TimeGrid.shifted(new double[] {1.0, 0.5, 0.0}, 0.3);
    assertEquals(1.0, g[0]);
    assertEquals(1.0 - 0.15 / 0.65, g[1], 1e-12);
    assertEquals(0.0, g[2]);
    assertTrue(g[1] > 0.5, "shift < 1 crowds steps toward the noise end");
  }

  @Test
  void nonPositiveShiftIsRejected() {
    InvalidInputException e =
        assertThrows(InvalidInputException.class, () -> TimeGrid.shifted(TimeGrid.uniform(2), 0));
    assertTrue(e.getMessage().contains("timestep_shift"), e.getMessage());
  }

  @Test
  void tooFewStepsAreRejected() {
    InvalidInputException e = assertThrows(InvalidInputException.class, () -> TimeGrid.sde(1));
    assertTrue(e.getMessage().contains("steps: 1"), e.getMessage());
  }
}
