package ai.igspark.data.sampling;

/**
 * The global sample order (docs/ARCHITECTURE.md §2): the stream of sample indices is the
 * concatenation of per-epoch permutations, epoch e shuffled by a Fisher–Yates driven by {@link
 * CounterRng} keyed by (seed, e). Global step s reads stream positions [s·B, (s+1)·B): every sample
 * is seen exactly once per epoch, nothing is dropped, and a batch may straddle two epochs. Rank r
 * of W takes a contiguous slice of that batch (sizes differ by at most one), so the order is a pure
 * function of (seed, step) and W only decides where the batch is cut — a run resumes at any step
 * and may change W between segments. After a change of B at a resume the stream goes on from the
 * checkpoint's position ({@link #startingAt}).
 *
 * <p>Not thread-safe (it caches the permutations it last used); use one per thread.
 */
public final class EpochSampler {
  private final long seed;
  private final int size;
  private final int globalBatch;
  // Step originStep reads from stream position originPosition; steps after it B samples each. A
  // run whose global batch changed at a resume continues where the old batch size left the
  // stream, so over the epoch no sample is skipped or repeated.
  private final long originStep;
  private final long originPosition;
  // the two most recent permutations: a batch straddles at most two epochs when B <= N
  private long cachedEpochA = -1;
  private int[] cachedA;
  private long cachedEpochB = -1;
  private int[] cachedB;

  public EpochSampler(long seed, long datasetSize, int globalBatch) {
    this(seed, datasetSize, globalBatch, 0, 0);
  }

  private EpochSampler(
      long seed, long datasetSize, int globalBatch, long originStep, long originPosition) {
    if (datasetSize <= 0 || datasetSize > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException("dataset size must be in [1, 2^31 - 9]: " + datasetSize);
    }
    if (globalBatch <= 0) {
      throw new IllegalArgumentException("global batch must be positive: " + globalBatch);
    }
    this.seed = seed;
    this.size = (int) datasetSize;
    this.globalBatch = globalBatch;
    if (originStep < 0 || originPosition < 0) {
      throw new IllegalArgumentException(
          "origin must be >= 0: step " + originStep + ", position " + originPosition);
    }
    this.originStep = originStep;
    this.originPosition = originPosition;
  }

  /**
   * This order with step {@code step} starting at stream position {@code position} (where a
   * checkpoint left the stream) and every later step taking the next B positions: {@code
   * positionAt(s) = position + (s − step)·B}. {@code startingAt(s, s·B)} is this sampler.
   */
  public EpochSampler startingAt(long step, long position) {
    return new EpochSampler(seed, size, globalBatch, step, position);
  }

  /** The stream position step {@code step} starts at. */
  public long positionAt(long step) {
    long position =
        Math.addExact(originPosition, Math.multiplyExact(step - originStep, (long) globalBatch));
    if (position < 0) {
      throw new IllegalArgumentException(
          "step " + step + " lies before this order's origin (step " + originStep + " at position "
              + originPosition + ")");
    }
    return position;
  }

  /** Epochs completed at the start of step {@code step}, fractional: positionAt(step) / N. */
  public double epochsAt(long step) {
    return (double) positionAt(step) / size;
  }

  public long seed() {
    return seed;
  }

  public long datasetSize() {
    return size;
  }

  public int globalBatch() {
    return globalBatch;
  }

  /** N / B: steps per epoch, fractional when the last batch of an epoch straddles the next. */
  public double stepsPerEpoch() {
    return (double) size / globalBatch;
  }

  /** The epoch in progress at the start of a step. */
  public long epochAt(long step) {
    return positionAt(step) / size;
  }

  /** The whole global batch of a step. */
  public BatchSlice globalBatch(long step) {
    return rankSlice(step, 0, 1);
  }

  /**
   * Rank {@code rank}'s contiguous slice of step {@code step}'s global batch: the first {@code B
   * mod W} ranks take ⌈B/W⌉ samples, the others ⌊B/W⌋.
   */
  public BatchSlice rankSlice(long step, int rank, int world) {
    if (step < 0) {
      throw new IllegalArgumentException("step must be >= 0: " + step);
    }
    if (world <= 0 || rank < 0 || rank >= world) {
      throw new IllegalArgumentException("rank " + rank + " of world " + world);
    }
    int base = globalBatch / world;
    int extra = globalBatch % world;
    int n = base + (rank < extra ? 1 : 0);
    long start = positionAt(step) + (long) rank * base + Math.min(rank, extra);
    long[] indices = new long[n];
    long[] epochs = new long[n];
    for (int i = 0; i < n; i++) {
      long pos = start + i;
      long epoch = pos / size;
      indices[i] = permutation(epoch)[(int) (pos - epoch * size)];
      epochs[i] = epoch;
    }
    return new BatchSlice(step, rank, world, globalBatch, indices, epochs);
  }

  /** The sample at one stream position. */
  public long sampleAt(long position) {
    long epoch = position / size;
    return permutation(epoch)[(int) (position - epoch * size)];
  }

  /** Epoch e's permutation of [0, N) (cached; do not modify). */
  int[] permutation(long epoch) {
    if (epoch == cachedEpochA) {
      return cachedA;
    }
    if (epoch == cachedEpochB) {
      return cachedB;
    }
    int[] p = shuffle(seed, epoch, size);
    cachedEpochB = cachedEpochA;
    cachedB = cachedA;
    cachedEpochA = epoch;
    cachedA = p;
    return p;
  }

  /** Fisher–Yates over the identity, its swaps drawn from the cell (seed, epoch). */
  static int[] shuffle(long seed, long epoch, int n) {
    int[] p = new int[n];
    for (int i = 0; i < n; i++) {
      p[i] = i;
    }
    long key = CounterRng.key(seed, epoch, -1, CounterRng.STREAM_PERMUTATION);
    long[] draws = {0};
    for (int i = n - 1; i > 0; i--) {
      int j = (int) CounterRng.below(key, 0, i + 1, draws);
      int t = p[i];
      p[i] = p[j];
      p[j] = t;
    }
    return p;
  }
}
