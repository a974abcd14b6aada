package ai.igspark.diffusion;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

/**
 * How to sample: solver, grid, guidance (docs/METHOD.md §3).
 *
 * @param sampler the solver
 * @param steps number of steps of its grid
 * @param timestepShift 1 for none; LightningDiT uses 0.3 (ODE samplers only)
 * @param guidance IG and CFG scales with their intervals (SiT time)
 */
public record SamplingPlan(Sampler sampler, int steps, double timestepShift, Guidance guidance) {

  public SamplingPlan {
    if (steps < 1) {
      throw new ai.igspark.data.InvalidInputException("steps: " + steps + ", expected >= 1");
    }
  }

  /**
   * Integrates one batch from its initial noise {@code x} (float32 [n, C, H, W]) with labels
   * {@code y} (int64 [n]) through the guided velocity of {@code sitNet}.
   */
  public NDArray run(
      VelocityNet sitNet, int nullClass, NDArray x, NDArray y, NoiseStream noise) {
    return sampler.run(guidance.field(sitNet, y, nullClass), x, sampler.grid(steps, timestepShift),
        noise);
  }

  /** As {@link #run} with noise keyed by sample index (see {@link KeyedNoise}). */
  public NDArray run(
      VelocityNet sitNet, int nullClass, long[] sampleIndices, NDArray y, KeyedNoise noise,
      ai.djl.ndarray.types.Shape sampleShape, NDManager manager) {
    NDArray x = noise.initial(sampleIndices, sampleShape, manager);
    return run(sitNet, nullClass, x, y, noise.stream(sampleIndices));
  }
}
