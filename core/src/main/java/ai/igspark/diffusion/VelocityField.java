package ai.igspark.diffusion;

import ai.djl.ndarray.NDArray;

/**
 * The (guided) velocity a sampler integrates: {@code v(x, t)} in SiT time, the same t for every
 * row. Samplers are pure functions of a field and a time grid (k-diffusion style).
 */
@FunctionalInterface
public interface VelocityField {
  NDArray at(NDArray x, float t);
}
