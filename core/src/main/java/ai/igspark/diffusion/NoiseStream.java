package ai.igspark.diffusion;

import ai.djl.ndarray.NDArray;
import ai.igspark.tensor.TorchOwnedArrays;
import java.util.random.RandomGenerator;

/**
 * The Gaussian noise an SDE sampler injects, one draw per stochastic step; injectable for tests.
 */
@FunctionalInterface
public interface NoiseStream {

  /** Standard normal noise with the shape of {@code like}, in {@code like}'s manager. */
  NDArray next(NDArray like);

  /** Noise from a seeded Java generator, so a sample is reproducible from its seed. */
  static NoiseStream seeded(RandomGenerator rng) {
    return like -> {
      float[] eps = new float[Math.toIntExact(like.getShape().size())];
      for (int i = 0; i < eps.length; i++) {
        eps[i] = (float) rng.nextGaussian();
      }
      return TorchOwnedArrays.floats(like.getManager(), eps, like.getShape());
    };
  }
}
