package ai.igspark.data.sampling;

/**
 * The per-sample randomness of one gathered batch: which epoch each sample belongs to, how flips
 * are made, and whether posterior moments are sampled ({@code z = mean + std·ε}) or reduced to
 * their mean. Every draw is keyed by (seed, epoch, sample index) through {@link CounterRng}.
 *
 * @param seed run seed
 * @param epochs the epoch of each gathered sample (same length as the indices), or null with
 *     {@link #none()}
 * @param flip flip mode
 * @param samplePosterior true: draw ε ~ N(0, I) per sample (training); false: use the mean
 */
public record SampleNoise(long seed, long[] epochs, FlipMode flip, boolean samplePosterior) {

  public SampleNoise {
    if (epochs == null && (flip != FlipMode.NONE || samplePosterior)) {
      throw new IllegalArgumentException("random flips and posterior draws need epochs");
    }
  }

  /** Deterministic reading: no flips, posterior means (evaluation, statistics). */
  public static SampleNoise none() {
    return new SampleNoise(0, null, FlipMode.NONE, false);
  }

  /** Training reading of one rank's slice: flips per {@code flip}, a fresh posterior sample. */
  public static SampleNoise training(long seed, BatchSlice slice, FlipMode flip) {
    return new SampleNoise(seed, slice.epochs(), flip, true);
  }

  public static SampleNoise training(long seed, long[] epochs, FlipMode flip) {
    return new SampleNoise(seed, epochs.clone(), flip, true);
  }

  /** Whether the i-th gathered sample (dataset index {@code index}) is flipped. */
  public boolean flipped(int i, long index) {
    return flip != FlipMode.NONE
        && CounterRng.uniform(seed, epochs[i], index, CounterRng.STREAM_FLIP) < 0.5f;
  }

  /** Fills {@code out[offset, offset+n)} with the i-th sample's ε. */
  public void posteriorNoise(int i, long index, float[] out, int offset, int n) {
    CounterRng.normals(seed, epochs[i], index, CounterRng.STREAM_POSTERIOR, out, offset, n);
  }
}
