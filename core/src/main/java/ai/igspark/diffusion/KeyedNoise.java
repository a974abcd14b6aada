package ai.igspark.diffusion;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.igspark.data.sampling.CounterRng;

/**
 * Sampling noise keyed by (seed, sample index, step) instead of drawn from one stream, so sample
 * i is the same whatever the batch size, the number of executors or the order of batches.
 */
public final class KeyedNoise {
  private static final long STREAM_INITIAL = 0x494E4954L; // "INIT"
  private static final long STREAM_SDE = 0x53444520L; // "SDE "

  private final long seed;

  public KeyedNoise(long seed) {
    this.seed = seed;
  }

  /** x_T ~ N(0, I) for the given samples, float32 [n, sampleShape...]. */
  public NDArray initial(long[] sampleIndices, Shape sampleShape, NDManager manager) {
    return normals(sampleIndices, sampleShape, 0, STREAM_INITIAL, manager);
  }

  /** The SDE sampler's per-step noise for the given samples (step k uses epoch k + 1). */
  public NoiseStream stream(long[] sampleIndices) {
    return new NoiseStream() {
      private long step;

      @Override
      public NDArray next(NDArray like) {
        Shape sampleShape = like.getShape().slice(1);
        return normals(sampleIndices, sampleShape, ++step, STREAM_SDE, like.getManager());
      }
    };
  }

  private NDArray normals(
      long[] sampleIndices, Shape sampleShape, long step, long stream, NDManager manager) {
    int per = Math.toIntExact(sampleShape.size());
    float[] out = new float[sampleIndices.length * per];
    for (int i = 0; i < sampleIndices.length; i++) {
      CounterRng.normals(seed, step, sampleIndices[i], stream, out, i * per, per);
    }
    return manager.create(out, new Shape(sampleIndices.length).addAll(sampleShape));
  }
}
