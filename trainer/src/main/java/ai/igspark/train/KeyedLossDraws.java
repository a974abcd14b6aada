package ai.igspark.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.igspark.data.sampling.BatchSlice;
import ai.igspark.data.sampling.CounterRng;
import ai.igspark.diffusion.LossDraws;
import ai.igspark.diffusion.TimeSampling;
import java.util.SplittableRandom;

/**
 * The loss draws of every sample — t, ε and the label-dropout coin — from a generator keyed by
 * (seed, epoch, sample index) (docs/ARCHITECTURE.md §2 "Order"): the same sample at the same
 * position of the sample stream always gets the same draws, whatever rank or replica computes it.
 */
final class KeyedLossDraws {
  /** Stream id of the loss draws in {@link CounterRng#key}. */
  static final long LOSS_STREAM = 0x4c4f5353L;

  private final long seed;
  private final float dropProbability;
  private final TimeSampling time;

  KeyedLossDraws(long seed, float dropProbability, TimeSampling time) {
    this.seed = seed;
    this.dropProbability = dropProbability;
    this.time = time;
  }

  /** The draws of {@code slice}'s samples, whose batch has {@code shape}, owned by {@code m}. */
  LossDraws draw(BatchSlice slice, Shape shape, NDManager m) {
    int n = slice.size();
    int perSample = Math.toIntExact(shape.size() / n);
    float[] t = new float[n];
    float[] noise = new float[n * perSample];
    boolean[] drop = new boolean[n];
    long[] indices = slice.sampleIndices();
    long[] epochs = slice.epochs();
    for (int i = 0; i < n; i++) {
      SplittableRandom rng =
          new SplittableRandom(CounterRng.key(seed, epochs[i], indices[i], LOSS_STREAM));
      t[i] = time.draw(rng);
      for (int j = 0; j < perSample; j++) {
        noise[i * perSample + j] = (float) rng.nextGaussian();
      }
      drop[i] = rng.nextFloat() < dropProbability;
    }
    NDArray dropMask = m.create(drop).toType(DataType.BOOLEAN, false);
    return new LossDraws(m.create(t), m.create(noise, shape), dropMask);
  }
}
