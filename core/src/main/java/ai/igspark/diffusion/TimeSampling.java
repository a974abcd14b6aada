package ai.igspark.diffusion;

import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Locale;
import java.util.random.RandomGenerator;

/**
 * How training times are drawn, in SiT time (docs/METHOD.md §2.4). Config files spell it {@code
 * uniform} or {@code lognormal} (key {@code train.time_sampling}).
 */
public enum TimeSampling {
  /** {@code t ~ U(0, 1)}: the default of both IG tracks. */
  UNIFORM,
  /** EDM-style {@code σ = exp(n)}, {@code n ~ N(0, 1)}, {@code t = σ / (1 + σ)} (SiT option). */
  LOGNORMAL;

  /** The config spelling; Jackson reads and writes the enum as this value. */
  @JsonValue
  public String key() {
    return name().toLowerCase(Locale.ROOT);
  }

  public float draw(RandomGenerator rng) {
    if (this == UNIFORM) {
      return rng.nextFloat();
    }
    double sigma = Math.exp(rng.nextGaussian());
    return (float) (sigma / (1 + sigma));
  }
}
