package ai.igspark.diffusion;

import ai.djl.ndarray.NDArray;
import ai.igspark.data.InvalidInputException;

/**
 * The samplers by config name, with their default grids.
 *
 * <ul>
 *   <li>{@code ode-euler}: Euler on {@link TimeGrid#uniform}, {@code steps} evaluations.
 *   <li>{@code ode-heun}: Heun on the uniform grid, last step uncorrected: {@code 2·steps − 1}
 *       evaluations.
 *   <li>{@code ode-heun2}: torchdiffeq {@code heun2} as LightningDiT uses it, every step corrected:
 *       {@code 2·steps} evaluations. LightningDiT's "125 sampling steps" are 125 grid points, i.e.
 *       {@code steps = 124}, with timestep shift 0.3.
 *   <li>{@code sde-em}: SiT Euler–Maruyama on {@link TimeGrid#sde}, {@code steps} evaluations.
 * </ul>
 */
public enum Sampler {
  ODE_EULER("ode-euler"),
  ODE_HEUN("ode-heun"),
  ODE_HEUN2("ode-heun2"),
  SDE_EM("sde-em");

  private final String configName;

  Sampler(String configName) {
    this.configName = configName;
  }

  public String configName() {
    return configName;
  }

  public static Sampler parse(String key, String value) {
    for (Sampler s : values()) {
      if (s.configName.equals(value)) {
        return s;
      }
    }
    throw new InvalidInputException(
        key
            + ": unknown sampler '"
            + value
            + "', expected ode-euler, ode-heun, ode-heun2 or sde-em");
  }

  /**
   * The SiT-time grid for {@code steps} steps; {@code timestepShift} 1 means none (ODE samplers
   * only, LightningDiT uses 0.3).
   */
  public double[] grid(int steps, double timestepShift) {
    if (this == SDE_EM) {
      if (timestepShift != 1.0) {
        throw new InvalidInputException(
            "timestep_shift: " + timestepShift + " is for ODE samplers; sde-em uses the SiT grid");
      }
      return TimeGrid.sde(steps);
    }
    double[] grid = TimeGrid.uniform(steps);
    return timestepShift == 1.0 ? grid : TimeGrid.shifted(grid, timestepShift);
  }

  /** Integrates {@code v} from {@code x} (pure noise at t = 1) over {@code grid}. */
  public NDArray run(VelocityField v, NDArray x, double[] grid, NoiseStream noise) {
    return switch (this) {
      case ODE_EULER -> Samplers.euler(v, x, grid);
      case ODE_HEUN -> Samplers.heun(v, x, grid, false);
      case ODE_HEUN2 -> Samplers.heun(v, x, grid, true);
      case SDE_EM -> Samplers.eulerMaruyama(v, x, grid, noise);
    };
  }
}
