package ai.igspark.optim;

import ai.igspark.data.InvalidInputException;

/**
 * Constant learning rate with an optional linear warmup (both IG tracks use a constant rate,
 * docs/METHOD.md §2.5).
 *
 * @param baseLr the constant rate
 * @param warmupSteps number of warmup updates; 0 for none
 */
public record LrSchedule(float baseLr, long warmupSteps) {

  public LrSchedule {
    if (!(baseLr > 0f) || Float.isInfinite(baseLr)) {
      throw new InvalidInputException("lr: " + baseLr + ", expected a finite number > 0");
    }
    if (warmupSteps < 0) {
      throw new InvalidInputException("warmup_steps: " + warmupSteps + ", expected >= 0");
    }
  }

  public static LrSchedule constant(float baseLr) {
    return new LrSchedule(baseLr, 0);
  }

  /** The rate for the {@code step}-th update (1-based): {@code base·min(1, step / warmup)}. */
  public float lr(long step) {
    if (warmupSteps == 0 || step >= warmupSteps) {
      return baseLr;
    }
    return (float) (baseLr * (double) Math.max(step, 1) / warmupSteps);
  }
}
