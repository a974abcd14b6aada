package ai.igspark.eval;

/**
 * The counter-based splitmix64 stream from which the fid-vectors fixture inputs are built, the
 * same as {@code stream} / {@code ints} of src/test/python/gen_fid_vectors.py: value {@code i}
 * (0-based) of the stream with tag {@code t} is splitmix64's output for the state
 * {@code SALT + t + (i + 1)·GOLDEN} (mod 2^64). Java's wrapping {@code long} arithmetic and
 * numpy's {@code uint64} arithmetic agree bit for bit; {@link FidVectorsTest} checks it.
 */
final class FixtureRandom {
  static final long GOLDEN = 0x9E3779B97F4A7C15L;

  /** The first 64 fraction bits of √2. */
  static final long SALT = 0x6A09E667F3BCC908L;

  private FixtureRandom() {}

  /** Raw 64-bit value {@code index} of the stream {@code tag}. */
  static long raw(long tag, long index) {
    long z = SALT + tag + (index + 1) * GOLDEN;
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  /** {@code n} integers in {@code [lo, hi]}: lo + (top 53 bits) mod (hi − lo + 1). */
  static long[] ints(long tag, int n, long lo, long hi) {
    long span = hi - lo + 1;
    long[] out = new long[n];
    for (int i = 0; i < n; i++) {
      out[i] = lo + (raw(tag, i) >>> 11) % span;
    }
    return out;
  }
}
