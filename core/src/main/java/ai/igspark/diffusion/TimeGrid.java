package ai.igspark.diffusion;

import ai.igspark.data.InvalidInputException;

/** Sampling time grids in SiT time, from noise (t = 1) to data (t = 0), computed in float64. */
public final class TimeGrid {
  private TimeGrid() {}

  /** {@code steps + 1} points {@code linspace(1, 0, steps + 1)}. */
  public static double[] uniform(int steps) {
    checkSteps(steps, 1);
    double[] grid = new double[steps + 1];
    for (int k = 0; k <= steps; k++) {
      grid[k] = 1.0 - (double) k / steps;
    }
    grid[steps] = 0.0;
    return grid;
  }

  /**
   * The SiT Euler–Maruyama grid (docs/METHOD.md §3.4): {@code linspace(1, 0.04, steps)}, then
   * 0; {@code steps} network evaluations.
   */
  public static double[] sde(int steps) {
    checkSteps(steps, 2);
    double[] grid = new double[steps + 1];
    double step = (0.04 - 1.0) / (steps - 1);
    for (int k = 0; k < steps; k++) {
      grid[k] = 1.0 + k * step;
    }
    grid[steps - 1] = 0.04;
    grid[steps] = 0.0;
    return grid;
  }

  /**
   * LightningDiT's timestep shift (§3.4, §10), {@code t' = s·t / (1 + (s−1)·t)} in LightningDiT
   * time ({@code t_ld = 1 − t_sit}), applied to a SiT-time grid. {@code s < 1} crowds the steps
   * toward the noise end; {@code s = 1} is the identity. The endpoints stay fixed.
   */
  public static double[] shifted(double[] sitGrid, double shift) {
    if (!(shift > 0) || Double.isInfinite(shift)) {
      throw new InvalidInputException(
          "timestep_shift: " + shift + ", expected a finite number > 0");
    }
    double[] out = new double[sitGrid.length];
    for (int k = 0; k < sitGrid.length; k++) {
      // 1 − s·t_ld/(1 + (s−1)·t_ld) with t_ld = 1 − τ, simplified so 0 and 1 stay exact
      double tau = sitGrid[k];
      out[k] = tau / (1.0 + (shift - 1.0) * (1.0 - tau));
    }
    return out;
  }

  private static void checkSteps(int steps, int min) {
    if (steps < min) {
      throw new InvalidInputException("steps: " + steps + ", expected at least " + min);
    }
  }
}
