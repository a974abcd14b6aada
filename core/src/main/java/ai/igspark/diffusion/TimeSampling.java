package ai.igspark.diffusion;

import ai.igspark.data.InvalidInputException;
import java.util.random.RandomGenerator;

/** How training times are drawn, in SiT time (docs/METHOD.md §2.4). */
public enum TimeSampling {
  /** {@code t ~ U(0, 1)}: the default of both IG tracks. */
  UNIFORM("uniform"),
  /** EDM-style {@code σ = exp(n)}, {@code n ~ N(0, 1)}, {@code t = σ / (1 + σ)} (SiT option). */
  LOGNORMAL("lognormal");

  private final String configName;

  TimeSampling(String configName) {
    this.configName = configName;
  }

  public String configName() {
    return configName;
  }

  public static TimeSampling parse(String key, String value) {
    for (TimeSampling s : values()) {
      if (s.configName.equals(value)) {
        return s;
      }
    }
    throw new InvalidInputException(
        key + ": unknown time sampling '" + value + "', expected 'uniform' or 'lognormal'");
  }

  public float draw(RandomGenerator rng) {
    if (this == UNIFORM) {
      return rng.nextFloat();
    }
    double sigma = Math.exp(rng.nextGaussian());
    return (float) (sigma / (1 + sigma));
  }
}
