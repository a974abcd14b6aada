package ai.igspark.data.sampling;

/**
 * The global sample order (docs/ARCHITECTURE.md §2): the stream of sample indices is the
 * concatenation of per-epoch permutations, epoch e shuffled by a Fisher–Yates driven by {@link
 * CounterRng} keyed by (seed, e). Global step s reads stream positions [s·B, (s+1)·B): every sample
 * is seen exactly once per epoch, nothing is dropped, and a batch may straddle two epochs. Rank r
 * of W takes a contiguous slice of that batch (sizes differ by at most one), so the order is a pure
 * function of (seed, step) and W only decides where the batch is cut — a run resumes at any step
 * and may change W between segments.
 *
 * <p>Not thread-safe (it caches the permutations it last used); use one per thread.
 */
public final class EpochSampler {
  private final long seed;
  private final int size;
  private final int globalBatch;
  // the two most recent permutations: a batch straddles at most two epochs when B <= N
  private long cachedEpochA = -1;
  private int[] cachedA;
  private long cachedEpochB = -1;
  private int[] cachedB;

  public EpochSampler(long seed, long datasetSize, int globalBatch) {
    if (datasetSize <= 0 || datasetSize > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException("dataset size must be in [1, 2^31 - 9]: " + datasetSize);
    }
    if (globalBatch <= 0) {
      throw new IllegalArgumentException("global batch must be positive: " + globalBatch);
    }
    this.seed = seed;
    this.size = (int) datasetSize;
    this.globalBatch = globalBatch;
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
    return Math.multiplyExact(step, globalBatch) / size;
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
    long start = Math.multiplyExact(step, globalBatch) + (long) rank * base + Math.min(rank, extra);
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
