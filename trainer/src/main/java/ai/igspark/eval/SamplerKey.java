package ai.igspark.eval;

/**
 * The settings of a {@link SamplerSpec}, with the name each takes on the command line and in a
 * {@code --sweep} ({@code --steps}, {@code steps=…}) and in the run config's {@code eval:}
 * section ({@code sampling_steps}). The order is that of a sweep's table columns.
 */
public enum SamplerKey {
  SAMPLER("sampler", "sampler"),
  STEPS("steps", "sampling_steps"),
  TIMESTEP_SHIFT("timestep-shift", "timestep_shift"),
  IG_SCALE("ig-scale", "ig_scale"),
  IG_INTERVAL("ig-interval", "ig_interval"),
  CFG_SCALE("cfg-scale", "cfg_scale"),
  CFG_INTERVAL("cfg-interval", "cfg_interval"),
  LABELS("labels", "balanced");

  private final String sweepName;
  private final String configName;

  SamplerKey(String sweepName, String configName) {
    this.sweepName = sweepName;
    this.configName = configName;
  }

  /** The name in a sweep, and on the command line after {@code --}. */
  public String sweepName() {
    return sweepName;
  }

  /** The key in the run config's {@code eval:} section. */
  public String configName() {
    return configName;
  }

  /** The key a sweep item names, or null. */
  public static SamplerKey ofSweepName(String name) {
    for (SamplerKey k : values()) {
      if (k.sweepName.equals(name)) {
        return k;
      }
    }
    return null;
  }
}
