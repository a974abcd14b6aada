package ai.igspark.data.sampling;

/**
 * Counter-based random numbers: every value is a pure function of (seed, epoch, sample index,
 * stream, position), so a flip or a posterior draw for one sample is the same whichever rank reads
 * it, in whatever order, at whatever world size, before or after a resume.
 *
 * <p>Hand-written because the JDK's generators ({@code Random}, {@code SplittableRandom}, the
 * {@code RandomGenerator} family) are sequential: a value depends on how many were drawn before
 * it, which is exactly what must not happen here, and no counter-based generator (Philox, …) is
 * on the class path. The construction is SplitMix64's: the key is the seed hashed together with
 * the coordinates through the SplitMix64/MurmurHash3 finalizer ({@link #mix}), and value j is the
 * finalizer applied to {@code key + (j+1)·γ} (γ the golden-ratio increment). That is what
 * SplitMix64 outputs for a stream started at {@code key}, which passes BigCrush.
 */
public final class CounterRng {
  /** Streams keep independent uses of the same (seed, epoch, index) apart. */
  public static final long STREAM_PERMUTATION = 0x5045524DL; // "PERM"
  public static final long STREAM_FLIP = 0x464C4950L; // "FLIP"
  public static final long STREAM_POSTERIOR = 0x4E4F4953L; // "NOIS"

  private static final long GAMMA = 0x9E3779B97F4A7C15L;

  private CounterRng() {}

  /** The SplitMix64 output function (a bijection on 64-bit values with full avalanche). */
  public static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  /** The key of one (seed, epoch, index, stream) cell. */
  public static long key(long seed, long epoch, long index, long stream) {
    long k = mix(seed + GAMMA);
    k = mix(k ^ mix(epoch + 2 * GAMMA));
    k = mix(k ^ mix(index + 3 * GAMMA));
    return mix(k ^ mix(stream + 4 * GAMMA));
  }

  /** The j-th 64 random bits of a cell. */
  public static long bits(long key, long j) {
    return mix(key + (j + 1) * GAMMA);
  }

  /** A uniform float in [0, 1) (24 random bits). */
  public static float uniform(long seed, long epoch, long index, long stream) {
    return (bits(key(seed, epoch, index, stream), 0) >>> 40) * 0x1p-24f;
  }

  /** A uniform integer in [0, bound) without modulo bias (Lemire's method with rejection). */
  public static long below(long key, long j, int bound, long[] drawCounter) {
    if (bound <= 0) {
      throw new IllegalArgumentException("bound must be positive: " + bound);
    }
    long threshold = (0x1_0000_0000L - bound) % bound; // 2^32 mod bound
    while (true) {
      long r = bits(key, j + drawCounter[0]++) >>> 32;
      long m = r * bound;
      if ((m & 0xffffffffL) >= threshold) {
        return m >>> 32;
      }
    }
  }

  /**
   * Standard normal floats for one cell into {@code out[offset, offset+n)} (Box–Muller: each
   * 64-bit draw gives two 32-bit uniforms and two normals).
   */
  public static void normals(
      long seed, long epoch, long index, long stream, float[] out, int offset, int n) {
    long key = key(seed, epoch, index, stream);
    for (int i = 0; i < n; i += 2) {
      long b = bits(key, i >>> 1);
      // u1 in (0, 1] so log(u1) is finite; u2 in [0, 1)
      double u1 = ((b >>> 32) + 1) * 0x1p-32;
      double u2 = (b & 0xffffffffL) * 0x1p-32;
      double r = Math.sqrt(-2.0 * Math.log(u1));
      double theta = 2.0 * Math.PI * u2;
      out[offset + i] = (float) (r * Math.cos(theta));
      if (i + 1 < n) {
        out[offset + i + 1] = (float) (r * Math.sin(theta));
      }
    }
  }
}
