package ai.igspark.cli;

import ai.igspark.eval.SamplerKey;
import ai.igspark.eval.SamplerSpec;
import ai.igspark.eval.SamplerSpecParser;
import picocli.CommandLine.Option;

/**
 * The sampler options of {@code sample} and {@code evaluate --checkpoint}: kept as text and read
 * by {@link SamplerSpecParser}, the parser the run config's {@code eval:} section and {@code
 * --sweep} use, over the command's own defaults.
 */
final class SamplerOptions {
  @Option(names = "--sampler", paramLabel = "NAME",
      description = "ode-euler, ode-heun (last step uncorrected), ode-heun2 (torchdiffeq heun2,"
          + " every step corrected) or sde-em (SiT Euler-Maruyama); default sde-em.")
  String sampler;

  @Option(names = "--steps", paramLabel = "N",
      description = "Solver steps: the time grid has N + 1 points (LightningDiT's heun2 \"125"
          + " steps\" are 125 grid points: --steps 124); at least 1, sde-em at least 2. Default:"
          + " sample 250, evaluate 50.")
  String steps;

  @Option(names = "--timestep-shift", paramLabel = "S",
      description = "LightningDiT's timestep shift, > 0; 1 = none (default); ODE samplers only,"
          + " sde-em keeps SiT's grid (LightningDiT uses 0.3).")
  String timestepShift;

  @Option(names = "--ig-scale", paramLabel = "W",
      description = "Internal guidance scale, 1 = off. Default: sample 1.4, evaluate 1.0.")
  String igScale;

  @Option(names = "--ig-interval", paramLabel = "LO,HI",
      description = "Where IG applies, a closed interval in SiT time (t = 1 is noise), LO,HI or"
          + " LO:HI with 0 <= LO <= HI <= 1; default 0,1 (all t).")
  String igInterval;

  @Option(names = "--cfg-scale", paramLabel = "W",
      description = "Classifier-free guidance scale, 1 = off (default).")
  String cfgScale;

  @Option(names = "--cfg-interval", paramLabel = "LO,HI",
      description = "Where CFG applies, in SiT time, as --ig-interval; default 0,0.7 (SiT)."
          + " LightningDiT's CFG from its t >= 0.19 (t = 0 noise) is 0,0.81.")
  String cfgInterval;

  /** {@code base} with the options given, labelled {@code labels}, checked as a whole. */
  SamplerSpec spec(SamplerSpec base, SamplerSpec.LabelMode labels) {
    SamplerSpecParser p = SamplerSpecParser.from(base, SamplerSpecParser.OPTION_NAMES);
    set(p, SamplerKey.SAMPLER, sampler);
    set(p, SamplerKey.STEPS, steps);
    set(p, SamplerKey.TIMESTEP_SHIFT, timestepShift);
    set(p, SamplerKey.IG_SCALE, igScale);
    set(p, SamplerKey.IG_INTERVAL, igInterval);
    set(p, SamplerKey.CFG_SCALE, cfgScale);
    set(p, SamplerKey.CFG_INTERVAL, cfgInterval);
    return p.labels(labels).build();
  }

  private static void set(SamplerSpecParser p, SamplerKey key, String value) {
    if (value != null) {
      p.set(key, value);
    }
  }
}
