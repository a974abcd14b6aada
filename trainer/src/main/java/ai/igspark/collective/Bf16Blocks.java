package ai.igspark.collective;

import ai.igspark.collective.TcpRingCollective.Bf16;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.nio.ShortBuffer;

/**
 * The bf16 wire of {@link TcpRingCollective}: the values of {@link Bf16#fromFloat} (round to
 * nearest even, NaN kept quiet), laid out so that plain Java loops vectorise.
 *
 * <p>HotSpot 17 does not vectorise float↔int bit casts or int↔short conversions, so
 * element-wise bf16 code runs at about 1 ns per element. Here every full block of {@link #BLOCK}
 * elements of a chunk travels as BLOCK/2 little-endian ints, int j holding element j in its high
 * half and element j + BLOCK/2 in its low half: packing and unpacking are int shifts and masks on
 * arrays, and bit casts go through memory (bulk copies). The elements after the chunk's last full
 * block travel as plain little-endian shorts, converted one by one. Element ranges passed in start
 * at a block boundary (or in the tail) so a chunk can be processed while it arrives (see {@link
 * #ready}).
 *
 * <p>Not thread-safe: one per lane.
 */
final class Bf16Blocks {
  static final int BLOCK = 2048;
  private static final int HALF = BLOCK / 2;

  private final int[] bits = new int[BLOCK];
  private final int[] pairs = new int[HALF];
  private final float[] incoming = new float[BLOCK];
  private final float[] own = new float[BLOCK];
  // Bit casts between int[] and float[] by a bulk copy through memory.
  private final ByteBuffer cast =
      ByteBuffer.allocateDirect(4 * BLOCK).order(ByteOrder.nativeOrder());
  private final IntBuffer castInts = cast.asIntBuffer();
  private final FloatBuffer castFloats = cast.asFloatBuffer();

  /**
   * How many leading elements of a chunk of {@code m} can be processed once {@code arrived} have
   * arrived: whole blocks only, then any element of the tail.
   */
  static int ready(int m, int arrived) {
    int full = m - m % BLOCK;
    return arrived >= full ? arrived : arrived - arrived % BLOCK;
  }

  /**
   * Encodes elements {@code [from, to)} of a chunk of {@code m}, read as fp32 bits from {@code
   * src} at {@code srcAt + e}, into the wire views {@code wireInts}/{@code wireShorts} (the same
   * little-endian bytes, element 0 at byte 0).
   */
  void encode(IntBuffer src, int srcAt, int from, int to, int m, IntBuffer wireInts,
      ShortBuffer wireShorts) {
    int full = Math.min(to, m - m % BLOCK);
    int e = from;
    for (; e < full; e += BLOCK) {
      src.get(srcAt + e, bits, 0, BLOCK);
      round(bits);
      wireInts.put(e / 2, pack(), 0, HALF);
    }
    for (; e < to; e++) {
      wireShorts.put(e, Bf16.fromFloat(Float.intBitsToFloat(src.get(srcAt + e))));
    }
  }

  /** Widens elements {@code [from, to)} of a chunk of {@code m} into {@code dst} at dstAt + e. */
  void decode(IntBuffer wireInts, ShortBuffer wireShorts, int from, int to, int m, IntBuffer dst,
      int dstAt) {
    int full = Math.min(to, m - m % BLOCK);
    int e = from;
    for (; e < full; e += BLOCK) {
      wireInts.get(e / 2, pairs, 0, HALF);
      dst.put(dstAt + e, unpack(), 0, BLOCK);
    }
    for (; e < to; e++) {
      dst.put(dstAt + e, (wireShorts.get(e) & 0xffff) << 16);
    }
  }

  /**
   * sum = bf16(incoming + own) for elements {@code [from, to)} of a chunk of {@code m}, in the
   * fixed operand order of {@link TcpRingCollective}. Incoming element e is read from {@code
   * inInts}/{@code inShorts} at e − from (the receive buffer starts at {@code from}), own values
   * from {@code data} at dataAt + e; sums go to the wire views at e and, when {@code keep}, back
   * into the data as the fp32 value of the bf16 sum (the owner keeps exactly what it sends).
   */
  void reduce(IntBuffer inInts, ShortBuffer inShorts, int from, int to, int m, FloatBuffer data,
      IntBuffer dataInts, int dataAt, IntBuffer sumInts, ShortBuffer sumShorts, boolean keep) {
    int full = Math.min(to, m - m % BLOCK);
    int e = from;
    for (; e < full; e += BLOCK) {
      inInts.get((e - from) / 2, pairs, 0, HALF);
      castInts.put(0, unpack(), 0, BLOCK);
      castFloats.get(0, incoming, 0, BLOCK);
      data.get(dataAt + e, own, 0, BLOCK);
      for (int j = 0; j < BLOCK; j++) {
        own[j] = incoming[j] + own[j];
      }
      castFloats.put(0, own, 0, BLOCK);
      castInts.get(0, bits, 0, BLOCK);
      round(bits);
      sumInts.put(e / 2, pack(), 0, HALF);
      if (keep) {
        dataInts.put(dataAt + e, bits, 0, BLOCK);
      }
    }
    for (; e < to; e++) {
      short sum = Bf16.fromFloat(Bf16.toFloat(inShorts.get(e - from)) + data.get(dataAt + e));
      sumShorts.put(e, sum);
      if (keep) {
        data.put(dataAt + e, Bf16.toFloat(sum));
      }
    }
  }

  /**
   * fp32 bits → the bits of their bf16 rounding (low half zero), as {@link Bf16#fromFloat},
   * branch free so it vectorises: NaN keeps its payload with the quiet bit set, everything else
   * rounds to nearest even.
   */
  private static void round(int[] x) {
    for (int j = 0; j < x.length; j++) {
      int b = x[j];
      int nan = (0x7f800000 - (b & 0x7fffffff)) >> 31; // all ones iff b is a NaN
      int rounded = b + 0x7fff + ((b >>> 16) & 1);
      x[j] = ((rounded & ~nan) | ((b | 0x00400000) & nan)) & 0xffff0000;
    }
  }

  private int[] pack() {
    for (int j = 0; j < HALF; j++) {
      pairs[j] = bits[j] | (bits[j + HALF] >>> 16);
    }
    return pairs;
  }

  private int[] unpack() {
    for (int j = 0; j < HALF; j++) {
      bits[j] = pairs[j] & 0xffff0000;
      bits[j + HALF] = pairs[j] << 16;
    }
    return bits;
  }
}
