package ai.igspark.eval;

import ai.igspark.diffusion.Guidance;
import ai.igspark.diffusion.LabelPlan;
import ai.igspark.diffusion.Sampler;
import ai.igspark.diffusion.SamplingPlan;
import java.io.Serializable;
import java.util.Locale;

/**
 * How samples are drawn, the one specification behind {@code igspark sample}, {@code igspark
 * evaluate --checkpoint} (and each setting of its {@code --sweep}) and the run config's {@code
 * eval:} section (docs/evaluation.md, "Sampler settings"). Checked as a whole on construction;
 * text is read only by {@link SamplerSpecParser}, so every path reads the same names, syntaxes
 * and bounds.
 *
 * @param sampler the solver ({@code ode-euler}, {@code ode-heun}, {@code ode-heun2}, {@code
 *     sde-em}; docs/METHOD.md §3.4)
 * @param steps solver steps: the time grid has {@code steps + 1} points. LightningDiT's "125
 *     sampling steps" for heun2 count grid points, so they are {@code steps = 124} here
 * @param timestepShift LightningDiT's shift of the grid; 1 = none; ODE samplers only (sde-em keeps
 *     the SiT grid)
 * @param igScale internal guidance w (1 = off)
 * @param igInterval where IG applies, closed, in SiT time (t = 1 noise)
 * @param cfgScale classifier-free guidance w (1 = off)
 * @param cfgInterval where CFG applies, closed, in SiT time
 * @param labels class-balanced (sample i has class i mod K) or random labels
 */
public record SamplerSpec(
    Sampler sampler,
    int steps,
    double timestepShift,
    float igScale,
    Interval igInterval,
    float cfgScale,
    Interval cfgInterval,
    LabelMode labels)
    implements Serializable {

  /** A closed interval of SiT time, {@code 0 <= lo <= hi <= 1}. */
  public record Interval(float lo, float hi) implements Serializable {
    public static final Interval ALL = new Interval(0f, 1f);

    /** "LO:HI", the form of a sweep value and of a table column. */
    @Override
    public String toString() {
      return lo + ":" + hi;
    }
  }

  /** How the class labels of the samples are chosen. */
  public enum LabelMode {
    BALANCED,
    RANDOM;

    /** The config and metrics name: {@code balanced} or {@code random}. */
    public String configName() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /**
   * The in-training evaluation's defaults: SiT's SDE with 250 steps, no guidance, CFG's interval
   * that of the SiT recipe (docs/METHOD.md §3.3), balanced labels.
   */
  public static final SamplerSpec DEFAULT =
      new SamplerSpec(
          Sampler.SDE_EM, 250, 1.0, 1f, Interval.ALL, 1f, new Interval(0f, 0.7f),
          LabelMode.BALANCED);

  public SamplerSpec {
    SamplerSpecParser.check(
        sampler, steps, timestepShift, igScale, igInterval, cfgScale, cfgInterval, labels,
        SamplerSpecParser.SWEEP_NAMES);
  }

  /** Grid points of the solver's time grid: {@code steps + 1}. */
  public int gridPoints() {
    return steps + 1;
  }

  public Guidance guidance() {
    return new Guidance(
        igScale, igInterval.lo(), igInterval.hi(), cfgScale, cfgInterval.lo(), cfgInterval.hi());
  }

  public SamplingPlan plan() {
    return new SamplingPlan(sampler, steps, timestepShift, guidance());
  }

  public boolean balanced() {
    return labels == LabelMode.BALANCED;
  }

  /** The labels of samples {@code 0 … n−1} of a model with {@code numClasses} classes. */
  public LabelPlan labelPlan(int numClasses, int n, long seed) {
    return balanced() ? LabelPlan.balanced(numClasses, n) : LabelPlan.random(numClasses, seed);
  }

  public SamplerSpec withGuidance(Guidance g) {
    return new SamplerSpec(
        sampler, steps, timestepShift, g.igScale(), new Interval(g.igLow(), g.igHigh()),
        g.cfgScale(), new Interval(g.cfgLow(), g.cfgHigh()), labels);
  }
}
