package ai.igspark.eval;

import ai.igspark.data.InvalidInputException;
import ai.igspark.diffusion.Sampler;
import ai.igspark.eval.SamplerSpec.Interval;
import ai.igspark.eval.SamplerSpec.LabelMode;
import java.util.List;
import java.util.function.Function;

/**
 * The one parser and validator of {@link SamplerSpec}s: the command line's options, each value of
 * a {@code --sweep} and the run config's {@code eval:} keys all go through it, so they accept the
 * same syntax and the same bounds. Every error is an {@link InvalidInputException} naming the key
 * as the caller spells it ({@code --timestep-shift}, {@code timestep_shift}). Start from a base
 * spec ({@link #from}), set values, then {@link #build}: the spec is checked once, as a whole.
 */
public final class SamplerSpecParser {
  /** Keys as a sweep (and a {@link SamplerSpec} built directly) names them: {@code ig-interval}. */
  public static final Function<SamplerKey, String> SWEEP_NAMES = SamplerKey::sweepName;
  /** Keys as options: {@code --ig-interval}. */
  public static final Function<SamplerKey, String> OPTION_NAMES = k -> "--" + k.sweepName();
  /** Keys of the run config's {@code eval:} section: {@code ig_interval}. */
  public static final Function<SamplerKey, String> CONFIG_NAMES = SamplerKey::configName;

  private static final String SAMPLERS = "ode-euler, ode-heun, ode-heun2 or sde-em";

  private final Function<SamplerKey, String> names;
  private Sampler sampler;
  private int steps;
  private double timestepShift;
  private float igScale;
  private Interval igInterval;
  private float cfgScale;
  private Interval cfgInterval;
  private LabelMode labels;

  private SamplerSpecParser(SamplerSpec base, Function<SamplerKey, String> names) {
    this.names = names;
    sampler = base.sampler();
    steps = base.steps();
    timestepShift = base.timestepShift();
    igScale = base.igScale();
    igInterval = base.igInterval();
    cfgScale = base.cfgScale();
    cfgInterval = base.cfgInterval();
    labels = base.labels();
  }

  /** A parser holding {@code base}'s values; errors name keys with {@code names}. */
  public static SamplerSpecParser from(SamplerSpec base, Function<SamplerKey, String> names) {
    return new SamplerSpecParser(base, names);
  }

  /** Sets {@code key} from its text form, as an option or a sweep value writes it. */
  public SamplerSpecParser set(SamplerKey key, String text) {
    String name = names.apply(key);
    String v = text.trim();
    switch (key) {
      case SAMPLER -> sampler = sampler(name, v);
      case STEPS -> steps = integer(name, v);
      case TIMESTEP_SHIFT -> timestepShift = number(name, v);
      case IG_SCALE -> igScale = (float) number(name, v);
      case IG_INTERVAL -> igInterval = interval(name, v);
      case CFG_SCALE -> cfgScale = (float) number(name, v);
      case CFG_INTERVAL -> cfgInterval = interval(name, v);
      case LABELS -> labels = labelMode(name, v);
    }
    return this;
  }

  /** Sets {@code steps} (config files give numbers already typed). */
  public SamplerSpecParser steps(int value) {
    steps = value;
    return this;
  }

  public SamplerSpecParser timestepShift(double value) {
    timestepShift = value;
    return this;
  }

  public SamplerSpecParser igScale(double value) {
    igScale = (float) value;
    return this;
  }

  public SamplerSpecParser cfgScale(double value) {
    cfgScale = (float) value;
    return this;
  }

  /** Sets an interval from a config list {@code [lo, hi]}. */
  public SamplerSpecParser interval(SamplerKey key, List<? extends Number> loHi) {
    String name = names.apply(key);
    if (loHi == null || loHi.size() != 2 || loHi.get(0) == null || loHi.get(1) == null) {
      throw new InvalidInputException(
          name + ": " + loHi + ", expected [lo, hi] with 0 <= lo <= hi <= 1 (SiT time)");
    }
    Interval i = checked(name, loHi.get(0).floatValue(), loHi.get(1).floatValue(), loHi.toString());
    if (key == SamplerKey.IG_INTERVAL) {
      igInterval = i;
    } else if (key == SamplerKey.CFG_INTERVAL) {
      cfgInterval = i;
    } else {
      throw new IllegalArgumentException(key + " is not an interval");
    }
    return this;
  }

  public SamplerSpecParser labels(LabelMode value) {
    labels = value;
    return this;
  }

  /** The spec, checked as a whole (e.g. a shift with sde-em is refused here). */
  public SamplerSpec build() {
    check(sampler, steps, timestepShift, igScale, igInterval, cfgScale, cfgInterval, labels, names);
    return new SamplerSpec(
        sampler, steps, timestepShift, igScale, igInterval, cfgScale, cfgInterval, labels);
  }

  /**
   * A sampler by its config name; {@code sde} (the run config's name before the ODE samplers
   * were accepted there) is {@code sde-em}.
   */
  public static Sampler sampler(String key, String name) {
    if ("sde".equals(name)) {
      return Sampler.SDE_EM;
    }
    for (Sampler s : Sampler.values()) {
      if (s.configName().equals(name)) {
        return s;
      }
    }
    throw new InvalidInputException(
        key + ": unknown sampler '" + name + "', expected " + SAMPLERS);
  }

  /** {@code LO,HI}, {@code LO:HI} or {@code [LO, HI]}, with {@code 0 <= LO <= HI <= 1}. */
  public static Interval interval(String key, String text) {
    String body = text.trim();
    if (body.startsWith("[") && body.endsWith("]")) {
      body = body.substring(1, body.length() - 1);
    }
    String[] parts = body.split("[,:]");
    if (parts.length == 2) {
      try {
        return checked(
            key, Float.parseFloat(parts[0].trim()), Float.parseFloat(parts[1].trim()), text);
      } catch (NumberFormatException e) {
        // reported below
      }
    }
    throw new InvalidInputException(
        key + ": '" + text + "', expected LO,HI (or LO:HI) with 0 <= LO <= HI <= 1 in SiT time,"
            + " e.g. 0.3,1");
  }

  private static Interval checked(String key, float lo, float hi, String text) {
    if (!(0f <= lo && lo <= hi && hi <= 1f)) {
      throw new InvalidInputException(
          key + ": '" + text + "', expected LO <= HI within [0, 1] (SiT time, t = 1 is noise)");
    }
    return new Interval(lo, hi);
  }

  /**
   * Every bound of a spec, each error naming its key with {@code names}. Steps count solver steps:
   * the grid has {@code steps + 1} points, so one step (two points) is the least; sde-em's grid
   * needs two steps.
   */
  static void check(
      Sampler sampler, int steps, double timestepShift, float igScale, Interval igInterval,
      float cfgScale, Interval cfgInterval, LabelMode labels, Function<SamplerKey, String> names) {
    if (sampler == null) {
      throw new InvalidInputException(
          names.apply(SamplerKey.SAMPLER) + ": missing, expected " + SAMPLERS);
    }
    int least = sampler == Sampler.SDE_EM ? 2 : 1;
    if (steps < least) {
      throw new InvalidInputException(
          names.apply(SamplerKey.STEPS) + ": " + steps + " steps (" + (steps + 1) + " grid"
              + " points), expected at least " + least + " for " + sampler.configName()
              + " (steps + 1 grid points, at least 2)");
    }
    if (!(timestepShift > 0) || Double.isInfinite(timestepShift)) {
      throw new InvalidInputException(
          names.apply(SamplerKey.TIMESTEP_SHIFT) + ": " + timestepShift
              + ", expected a finite number > 0 (1 = no shift)");
    }
    if (sampler == Sampler.SDE_EM && timestepShift != 1.0) {
      throw new InvalidInputException(
          names.apply(SamplerKey.TIMESTEP_SHIFT) + ": " + timestepShift + " is for the ODE"
              + " samplers; sde-em samples on the SiT grid (use 1)");
    }
    finite(names.apply(SamplerKey.IG_SCALE), igScale);
    finite(names.apply(SamplerKey.CFG_SCALE), cfgScale);
    for (SamplerKey k : List.of(SamplerKey.IG_INTERVAL, SamplerKey.CFG_INTERVAL)) {
      Interval i = k == SamplerKey.IG_INTERVAL ? igInterval : cfgInterval;
      if (i == null) {
        throw new InvalidInputException(names.apply(k) + ": missing, expected LO,HI");
      }
      checked(names.apply(k), i.lo(), i.hi(), "[" + i.lo() + ", " + i.hi() + "]");
    }
    if (labels == null) {
      throw new InvalidInputException(
          names.apply(SamplerKey.LABELS) + ": missing, expected balanced or random");
    }
  }

  private static void finite(String key, float scale) {
    if (!Float.isFinite(scale)) {
      throw new InvalidInputException(key + ": " + scale + ", expected a finite number");
    }
  }

  private static int integer(String key, String text) {
    try {
      return Integer.parseInt(text);
    } catch (NumberFormatException e) {
      throw new InvalidInputException(key + ": '" + text + "', expected an integer");
    }
  }

  private static double number(String key, String text) {
    try {
      return Double.parseDouble(text);
    } catch (NumberFormatException e) {
      throw new InvalidInputException(key + ": '" + text + "', expected a number");
    }
  }

  private static LabelMode labelMode(String key, String text) {
    for (LabelMode m : LabelMode.values()) {
      if (m.configName().equals(text)) {
        return m;
      }
    }
    throw new InvalidInputException(key + ": '" + text + "', expected balanced or random");
  }
}
