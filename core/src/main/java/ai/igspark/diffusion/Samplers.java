package ai.igspark.diffusion;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import ai.igspark.tensor.GradModeOff;

/**
 * ODE and SDE samplers in SiT time (docs/METHOD.md §3.4), k-diffusion style: pure functions
 * of a velocity field, an initial state and a time grid from 1 (noise) to 0 (data).
 *
 * <p>The state stays float32: the official EM sampler keeps it in float64, but the network runs in
 * fp32 anyway, and the parity test against a float64 PyTorch reference agrees within 1e-4.
 *
 * <p>Grad mode is switched off for the whole run (it is thread-local and ON in fresh threads such
 * as Spark tasks, where the forward passes would otherwise record autograd graphs).
 *
 * <p>Memory: every array a step creates is closed at the end of the step except the new state;
 * intermediate states are closed as soon as they are replaced. The caller keeps ownership of {@code
 * x} and receives a new array (attached to the manager of the field's output).
 */
public final class Samplers {
  private Samplers() {}

  /** Explicit Euler: {@code x ← x + (t_{k+1} − t_k)·v(x, t_k)}. */
  public static NDArray euler(VelocityField v, NDArray x, double[] grid) {
    try (GradModeOff off = new GradModeOff()) {
      return eulerSteps(v, x, grid);
    }
  }

  private static NDArray eulerSteps(VelocityField v, NDArray x, double[] grid) {
    NDArray cur = x;
    for (int k = 0; k + 1 < grid.length; k++) {
      float dt = (float) (grid[k + 1] - grid[k]);
      NDArray next;
      try (NDScope scope = new NDScope()) {
        next = cur.add(v.at(cur, (float) grid[k]).mul(dt));
        NDScope.unregister(next);
      }
      cur = replace(cur, next, x);
    }
    return cur;
  }

  /**
   * Heun's method (explicit trapezoid): {@code x' = x + dt·d}, {@code x ← x + dt·(d + d')/2} with
   * {@code d' = v(x', t_{k+1})}.
   *
   * @param correctLastStep false: the last step is a plain Euler step, as REPA/EDM do when the grid
   *     ends at t = 0 ({@code ode-heun}); true: every step is corrected, including an evaluation at
   *     t = 0, as torchdiffeq's fixed-grid {@code heun2} in LightningDiT ({@code ode-heun2})
   */
  public static NDArray heun(VelocityField v, NDArray x, double[] grid, boolean correctLastStep) {
    try (GradModeOff off = new GradModeOff()) {
      return heunSteps(v, x, grid, correctLastStep);
    }
  }

  private static NDArray heunSteps(
      VelocityField v, NDArray x, double[] grid, boolean correctLastStep) {
    NDArray cur = x;
    int steps = grid.length - 1;
    for (int k = 0; k < steps; k++) {
      float dt = (float) (grid[k + 1] - grid[k]);
      NDArray next;
      try (NDScope scope = new NDScope()) {
        NDArray d = v.at(cur, (float) grid[k]);
        next = cur.add(d.mul(dt));
        if (k < steps - 1 || correctLastStep) {
          NDArray dPrime = v.at(next, (float) grid[k + 1]);
          next = cur.add(d.add(dPrime).mul(0.5f * dt));
        }
        NDScope.unregister(next);
      }
      cur = replace(cur, next, x);
    }
    return cur;
  }

  /**
   * The SiT Euler–Maruyama sampler (§3.4) on a grid ending {@code ..., t_{N−1}, 0} (see {@link
   * TimeGrid#sde}). For the linear path the score is {@code s = (−(1−t)·v − x)/t} and {@code g² =
   * 2t}, so the drift is {@code d = v − ½g²·s = (2−t)·v + x}; CFG inside {@code v} equals CFG on
   * {@code d} because d is affine in v. Each step but the last adds {@code sqrt(2t·|dt|)·ε}; the
   * last step (to t = 0) is deterministic. {@code noise} is asked for N−1 draws.
   */
  public static NDArray eulerMaruyama(
      VelocityField v, NDArray x, double[] grid, NoiseStream noise) {
    try (GradModeOff off = new GradModeOff()) {
      return eulerMaruyamaSteps(v, x, grid, noise);
    }
  }

  private static NDArray eulerMaruyamaSteps(
      VelocityField v, NDArray x, double[] grid, NoiseStream noise) {
    NDArray cur = x;
    int steps = grid.length - 1;
    for (int k = 0; k < steps; k++) {
      float t = (float) grid[k];
      double dtD = grid[k + 1] - grid[k];
      float dt = (float) dtD;
      NDArray next;
      try (NDScope scope = new NDScope()) {
        NDArray drift = v.at(cur, t).mul(2f - t).add(cur);
        next = cur.add(drift.mul(dt));
        if (k < steps - 1) {
          float scale = (float) Math.sqrt(2.0 * grid[k] * Math.abs(dtD));
          next = next.add(noise.next(cur).mul(scale));
        }
        NDScope.unregister(next);
      }
      cur = replace(cur, next, x);
    }
    return cur;
  }

  /** Closes the previous state unless it is the caller's input. */
  private static NDArray replace(NDArray previous, NDArray next, NDArray input) {
    if (previous != input) {
      previous.close();
    }
    return next;
  }
}
