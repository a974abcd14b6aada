package ai.igspark.collective;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.igspark.collective.TcpRingCollective.Bf16;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.nio.ShortBuffer;
import java.util.Random;
import org.junit.jupiter.api.Test;

class Bf16BlocksTest {
  private static final int B = Bf16Blocks.BLOCK;

  /** Two full blocks and a tail, filled with edge cases first, then random bit patterns. */
  static int[] bitsWithEdgeCases(int n, long seed) {
    int[] edge = {
      0x7fc00000, 0xffc00000, 0x7f800001, 0x7fbfffff, 0x7f81ffff, 0xff800123, // NaNs
      0x7f800000, 0xff800000, 0x00000000, 0x80000000, // ±Inf, ±0
      0x7f7fffff, 0xff7fffff, 0x7f7f7fff, 0x7f7f8000, // near overflow (rounds to Inf or not)
      0x00000001, 0x80000001, 0x007fffff, 0x00008000, 0x00018000, // subnormals and their ties
      0x3f808000, 0x3f818000, 0x3f807fff, 0x3f808001, 0xbf808000, 0xbf818000, // ties near ±1
    };
    Random rnd = new Random(seed);
    int[] x = new int[n];
    for (int i = 0; i < n; i++) {
      x[i] = rnd.nextInt();
    }
    for (int k = 0; k < edge.length; k++) {
      x[k] = edge[k]; // block 0, high halves
      x[B / 2 + k] = edge[k]; // block 0, low halves
      x[2 * B + k] = edge[k]; // tail
    }
    return x;
  }

  static int expectedBits(int bits) {
    return (Bf16.fromFloat(Float.intBitsToFloat(bits)) & 0xffff) << 16;
  }

  static ByteBuffer bytes(int n) {
    return ByteBuffer.allocateDirect(n).order(ByteOrder.LITTLE_ENDIAN);
  }

  @Test
  void encodeThenDecodeEqualsBf16RoundingBitForBit() {
    int n = 2 * B + 1001;
    int[] x = bitsWithEdgeCases(n, 11);
    ByteBuffer src = bytes(4 * (n + 5));
    src.asIntBuffer().put(5, x);
    ByteBuffer wire = bytes(2 * n);
    Bf16Blocks codec = new Bf16Blocks();
    codec.encode(src.asIntBuffer(), 5, 0, n, n, wire.asIntBuffer(), wire.asShortBuffer());
    ByteBuffer dst = bytes(4 * (n + 3));
    codec.decode(wire.asIntBuffer(), wire.asShortBuffer(), 0, n, n, dst.asIntBuffer(), 3);
    IntBuffer out = dst.asIntBuffer();
    for (int i = 0; i < n; i++) {
      int got = out.get(3 + i);
      assertEquals(expectedBits(x[i]), got, "element " + i + ", bits " + Integer.toHexString(x[i]));
    }
  }

  @Test
  void fullBlocksPairElementJWithJPlusHalfAndTheTailIsPlainShorts() {
    int n = B + 3;
    int[] x = new int[n];
    for (int i = 0; i < n; i++) {
      x[i] = Float.floatToRawIntBits(i + 1); // small integers: exact in bf16
    }
    ByteBuffer src = bytes(4 * n);
    src.asIntBuffer().put(0, x);
    ByteBuffer wire = bytes(2 * n);
    new Bf16Blocks().encode(src.asIntBuffer(), 0, 0, n, n, wire.asIntBuffer(),
        wire.asShortBuffer());
    IntBuffer pairs = wire.asIntBuffer();
    for (int j = 0; j < B / 2; j++) {
      assertEquals(expectedBits(x[j]), pairs.get(j) & 0xffff0000, "high half of int " + j);
      assertEquals(expectedBits(x[j + B / 2]), pairs.get(j) << 16, "low half of int " + j);
    }
    ShortBuffer tail = wire.asShortBuffer();
    for (int i = B; i < n; i++) {
      assertEquals(Bf16.fromFloat(i + 1), tail.get(i), "tail element " + i);
    }
  }

  @Test
  void reduceInArrivalPiecesEqualsTheScalarRoundedSum() {
    int n = 3 * B + 777;
    Random rnd = new Random(3);
    float[] own = new float[n];
    float[] incoming = new float[n];
    for (int i = 0; i < n; i++) {
      own[i] = (float) (rnd.nextGaussian() * Math.exp(3 * rnd.nextGaussian()));
      incoming[i] = Bf16.toFloat(Bf16.fromFloat((float) rnd.nextGaussian()));
    }
    own[7] = Float.POSITIVE_INFINITY;
    own[8] = Float.MAX_VALUE;
    incoming[8] = Float.MAX_VALUE; // overflows to +Inf
    ByteBuffer in = bytes(2 * n);
    ShortBuffer inShorts = in.asShortBuffer();
    for (int i = 0; i < n; i++) {
      inShorts.put(i, Bf16.fromFloat(incoming[i]));
    }
    Bf16Blocks codec = new Bf16Blocks();
    // Put the incoming chunk on the wire layout, then reduce it piece by piece as it "arrives".
    ByteBuffer inFloats = bytes(4 * n);
    inFloats.asFloatBuffer().put(0, incoming);
    codec.encode(inFloats.asIntBuffer(), 0, 0, n, n, in.asIntBuffer(), in.asShortBuffer());
    ByteBuffer data = bytes(4 * (n + 2));
    FloatBuffer dataFloats = data.asFloatBuffer();
    dataFloats.put(2, own);
    ByteBuffer sums = bytes(2 * n);
    int[] cuts = {0, B, 3 * B, 3 * B + 1, n};
    for (int c = 0; c + 1 < cuts.length; c++) {
      int from = cuts[c];
      ByteBuffer piece = in.duplicate().position(2 * from).slice().order(ByteOrder.LITTLE_ENDIAN);
      codec.reduce(piece.asIntBuffer(), piece.asShortBuffer(), from, cuts[c + 1], n, dataFloats,
          data.asIntBuffer(), 2, sums.asIntBuffer(), sums.asShortBuffer(), true);
    }
    ByteBuffer decoded = bytes(4 * n);
    codec.decode(sums.asIntBuffer(), sums.asShortBuffer(), 0, n, n, decoded.asIntBuffer(), 0);
    for (int i = 0; i < n; i++) {
      float expected = Bf16.toFloat(Bf16.fromFloat(incoming[i] + own[i]));
      assertEquals(Float.floatToRawIntBits(expected), data.asIntBuffer().get(2 + i), "kept " + i);
      assertEquals(Float.floatToRawIntBits(expected), decoded.asIntBuffer().get(i), "sent " + i);
    }
    assertEquals(Float.POSITIVE_INFINITY, dataFloats.get(2 + 8));
  }

  @Test
  void readyStopsAtBlockBoundariesUntilTheTail() {
    int m = 2 * B + 10;
    assertEquals(0, Bf16Blocks.ready(m, B - 1));
    assertEquals(B, Bf16Blocks.ready(m, B));
    assertEquals(B, Bf16Blocks.ready(m, 2 * B - 1));
    assertEquals(2 * B, Bf16Blocks.ready(m, 2 * B));
    assertEquals(2 * B + 3, Bf16Blocks.ready(m, 2 * B + 3));
    assertEquals(5, Bf16Blocks.ready(5, 5));
    assertEquals(m, Bf16Blocks.ready(m, m));
  }
}
