package ai.igspark.model;

import java.util.SplittableRandom;

/**
 * How a state-dict entry gets its first value: DiT's {@code initialize_weights} (Xavier-uniform
 * linears, N(0, 0.02) embeddings, zero adaLN and output layers) plus computed tables.
 */
@FunctionalInterface
interface Init {
  /** Fills {@code out} (C order) from {@code rng}, which is private to this entry. */
  void fill(float[] out, SplittableRandom rng);

  static Init zeros() {
    return (out, rng) -> {};
  }

  static Init ones() {
    return (out, rng) -> java.util.Arrays.fill(out, 1f);
  }

  /** Xavier/Glorot uniform: U(−a, a), a = √(6 / (fan_in + fan_out)). */
  static Init xavierUniform(long fanIn, long fanOut) {
    double a = Math.sqrt(6.0 / (fanIn + fanOut));
    return (out, rng) -> {
      for (int i = 0; i < out.length; i++) {
        out[i] = (float) rng.nextDouble(-a, a);
      }
    };
  }

  static Init normal(double std) {
    return (out, rng) -> {
      for (int i = 0; i < out.length; i++) {
        out[i] = (float) (std * rng.nextGaussian());
      }
    };
  }

  /** A computed table (position embedding, RoPE cos/sin). */
  static Init values(float[] values) {
    return (out, rng) -> System.arraycopy(values, 0, out, 0, out.length);
  }
}
