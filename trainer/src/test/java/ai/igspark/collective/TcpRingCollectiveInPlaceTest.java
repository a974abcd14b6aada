package ai.igspark.collective;

import static ai.igspark.collective.TcpRingCollectiveTest.fixedOrderSum;
import static ai.igspark.collective.TcpRingCollectiveTest.integers;
import static ai.igspark.collective.TcpRingCollectiveTest.options;
import static ai.igspark.collective.TcpRingCollectiveTest.randoms;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.igspark.collective.RingFixture.Outcome;
import ai.igspark.collective.TcpRingCollective.Bf16;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** {@link Collective#allReduceSum(ByteBuffer, Collective.Phase)}: in place, or through a copy. */
class TcpRingCollectiveInPlaceTest {
  private static final Duration WAIT = Duration.ofSeconds(60);
  /** Bytes before the reduced floats (a non-zero position) and after them (limit < capacity). */
  private static final int HEAD = 12;
  private static final int TAIL = 8;

  /** {@code x} at position HEAD of a buffer with a marked head and tail around it. */
  static ByteBuffer around(float[] x, boolean direct, ByteOrder order) {
    int bytes = HEAD + 4 * x.length + TAIL;
    ByteBuffer b = (direct ? ByteBuffer.allocateDirect(bytes) : ByteBuffer.allocate(bytes))
        .order(order);
    for (int i = 0; i < bytes; i++) {
      b.put(i, (byte) 0x5a);
    }
    b.position(HEAD).limit(HEAD + 4 * x.length);
    b.slice().order(order).asFloatBuffer().put(0, x);
    return b;
  }

  /** The floats between HEAD and the tail, in the buffer's order; checks both are untouched. */
  static float[] reducedPart(ByteBuffer b, int n) {
    assertEquals(HEAD, b.position(), "position moved");
    assertEquals(HEAD + 4 * n, b.limit(), "limit moved");
    ByteBuffer whole = b.duplicate().clear();
    for (int i = 0; i < HEAD; i++) {
      assertEquals((byte) 0x5a, whole.get(i), "head byte " + i + " written");
    }
    for (int i = HEAD + 4 * n; i < b.capacity(); i++) {
      assertEquals((byte) 0x5a, whole.get(i), "tail byte " + i + " written");
    }
    float[] x = new float[n];
    b.slice().order(b.order()).asFloatBuffer().get(0, x);
    return x;
  }

  static void assertBitwiseEqual(float[] expected, float[] actual, String what) {
    assertEquals(expected.length, actual.length, what);
    for (int i = 0; i < expected.length; i++) {
      int e = Float.floatToRawIntBits(expected[i]);
      int a = Float.floatToRawIntBits(actual[i]);
      if (e != a) {
        throw new AssertionError(what + ": element " + i + " is " + actual[i] + " ("
            + Integer.toHexString(a) + "), expected " + expected[i] + " ("
            + Integer.toHexString(e) + ")");
      }
    }
  }

  /** Runs one all-reduce of {@code buffers[r]} on every rank and returns the reduced floats. */
  static float[][] allReduce(RingFixture ring, ByteBuffer[] buffers, int n) throws Exception {
    List<Outcome<Void>> out =
        ring.runEach(
            r -> {
              ring.ranks[r].allReduceSum(buffers[r], Collective.Phase.STEP);
              return null;
            },
            WAIT);
    float[][] got = new float[buffers.length][];
    for (int r = 0; r < buffers.length; r++) {
      assertNull(out.get(r).error(), () -> "rank failed: " + out);
      got[r] = reducedPart(buffers[r], n);
    }
    return got;
  }

  @ParameterizedTest(name = "W={0}, n={1}, bucket={2} floats")
  @CsvSource({
    "1, 1001, 256",
    "2, 1, 256",
    "2, 300001, 200000", // chunks of 100000 floats: the 256 KiB receive buffer wraps
    "3, 100003, 7001", // 15 buckets, lengths not divisible by W
    "3, 5, 4",
    "4, 300007, 40000", // 8 buckets, the last one short
    "4, 4099, 1024",
  })
  void directLittleEndianBytesGetTheFixedOrderSumInPlace(int w, int n, int bucketFloats)
      throws Exception {
    try (RingFixture ring = RingFixture.connect(w, options(4 * bucketFloats))) {
      float[][] in = new float[w][];
      ByteBuffer[] buffers = new ByteBuffer[w];
      for (int r = 0; r < w; r++) {
        in[r] = randoms(r, n, 17);
        buffers[r] = around(in[r], true, ByteOrder.LITTLE_ENDIAN);
      }
      float[][] got = allReduce(ring, buffers, n);
      float[] expected = fixedOrderSum(in, bucketFloats);
      for (int r = 0; r < w; r++) {
        assertBitwiseEqual(expected, got[r], "rank " + r);
      }
    }
  }

  @Test
  void smallIntegersSumExactlyInPlace() throws Exception {
    int w = 4;
    int n = 250001;
    try (RingFixture ring = RingFixture.connect(w, options(1 << 18))) {
      ByteBuffer[] buffers = new ByteBuffer[w];
      float[] expected = new float[n];
      for (int r = 0; r < w; r++) {
        float[] x = integers(r, n);
        buffers[r] = around(x, true, ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < n; i++) {
          expected[i] += x[i];
        }
      }
      float[][] got = allReduce(ring, buffers, n);
      for (int r = 0; r < w; r++) {
        assertArrayEquals(expected, got[r], "rank " + r);
      }
    }
  }

  @Test
  void heapAndBigEndianBytesFallBackToTheSameBitwiseSum() throws Exception {
    int w = 3;
    int n = 70001;
    int bucketFloats = 30000;
    try (RingFixture ring = RingFixture.connect(w, options(4 * bucketFloats))) {
      float[][] in = new float[w][];
      for (int r = 0; r < w; r++) {
        in[r] = randoms(r, n, 23);
      }
      ByteBuffer[] buffers = {
        around(in[0], false, ByteOrder.LITTLE_ENDIAN),
        around(in[1], true, ByteOrder.BIG_ENDIAN),
        around(in[2], true, ByteOrder.LITTLE_ENDIAN),
      };
      float[][] got = allReduce(ring, buffers, n);
      float[] expected = fixedOrderSum(in, bucketFloats);
      for (int r = 0; r < w; r++) {
        assertBitwiseEqual(expected, got[r], "rank " + r);
      }
    }
  }

  @Test
  void severalChannelsReduceDirectBytesInPlace() throws Exception {
    int w = 3;
    int channels = 2;
    int n = 200003;
    int bucketFloats = 30011;
    try (RingFixture ring =
        RingFixture.connect(w, options(4 * bucketFloats).withChannels(channels))) {
      float[][] in = new float[w][];
      ByteBuffer[] buffers = new ByteBuffer[w];
      for (int r = 0; r < w; r++) {
        in[r] = randoms(r, n, 29);
        buffers[r] = around(in[r], true, ByteOrder.LITTLE_ENDIAN);
      }
      float[][] got = allReduce(ring, buffers, n);
      float[] expected = fixedOrderSum(in, bucketFloats, channels);
      for (int r = 0; r < w; r++) {
        assertBitwiseEqual(expected, got[r], "rank " + r);
      }
    }
  }

  /** What the bf16 ring computes: each partial sum rounded to bf16, chunk c starting at rank c. */
  static float[] bf16FixedOrderSum(float[][] in, int bucketFloats) {
    int w = in.length;
    int total = in[0].length;
    float[] out = new float[total];
    for (int b0 = 0; b0 < total; b0 += bucketFloats) {
      int len = Math.min(bucketFloats, total - b0);
      for (int c = 0; c < w; c++) {
        int start = TcpRingCollective.chunkStart(len, c, w);
        for (int j = 0; j < TcpRingCollective.chunkLength(len, c, w); j++) {
          int i = b0 + start + j;
          short acc = Bf16.fromFloat(in[c][i]);
          for (int k = 1; k < w; k++) {
            acc = Bf16.fromFloat(Bf16.toFloat(acc) + in[(c + k) % w][i]);
          }
          out[i] = Bf16.toFloat(acc);
        }
      }
    }
    return out;
  }

  @ParameterizedTest(name = "W={0}, n={1}, bucket={2} floats")
  @CsvSource({
    "2, 100001, 60000", // chunks of 30000: 14 full bf16 blocks and a tail
    "3, 50003, 50003",
    "4, 123457, 33333",
    "4, 4101, 4101", // chunks shorter than one block: all tail
  })
  void bf16WireEqualsTheScalarRoundedFixedOrderSum(int w, int n, int bucketFloats)
      throws Exception {
    RingOptions bf16 = options(4 * bucketFloats).withWireDtype(RingOptions.WireDtype.BF16);
    try (RingFixture ring = RingFixture.connect(w, bf16)) {
      float[][] in = new float[w][];
      ByteBuffer[] buffers = new ByteBuffer[w];
      for (int r = 0; r < w; r++) {
        in[r] = randoms(r, n, 31);
        in[r][r] = Float.POSITIVE_INFINITY;
        in[r][n / 2 + r] = -0f;
        in[r][n - 1 - r] = Float.MIN_VALUE;
        // Odd ranks pass a heap buffer: the copying path must give the same bits.
        buffers[r] = around(in[r], r % 2 == 0, ByteOrder.LITTLE_ENDIAN);
      }
      float[][] got = allReduce(ring, buffers, n);
      float[] expected = bf16FixedOrderSum(in, bucketFloats);
      for (int r = 0; r < w; r++) {
        assertBitwiseEqual(expected, got[r], "rank " + r);
      }
    }
  }

  @Test
  void nanOnOneRankIsNanOnEveryRankOverABf16Wire() throws Exception {
    int w = 2;
    int n = 10000;
    RingOptions bf16 = options(4 * n).withWireDtype(RingOptions.WireDtype.BF16);
    try (RingFixture ring = RingFixture.connect(w, bf16)) {
      ByteBuffer[] buffers = new ByteBuffer[w];
      for (int r = 0; r < w; r++) {
        float[] x = integers(r, n);
        x[100] = r == 0 ? Float.NaN : 1f; // rank 0's chunk
        x[9000] = r == 1 ? Float.intBitsToFloat(0x7f800001) : 1f; // a signalling NaN, chunk 1
        buffers[r] = around(x, true, ByteOrder.LITTLE_ENDIAN);
      }
      float[][] got = allReduce(ring, buffers, n);
      for (int r = 0; r < w; r++) {
        assertTrue(Float.isNaN(got[r][100]), "rank " + r + ": " + got[r][100]);
        assertTrue(Float.isNaN(got[r][9000]), "rank " + r + ": " + got[r][9000]);
        assertEquals(integers(0, n)[5] + integers(1, n)[5], got[r][5]);
      }
    }
  }

  @Test
  void partialFloatAndReadOnlyBuffersAreRejected() throws Exception {
    try (RingFixture ring = RingFixture.connect(2, options(1024))) {
      TcpRingCollective rank0 = ring.ranks[0];
      IllegalArgumentException partial =
          assertThrows(
              IllegalArgumentException.class,
              () -> rank0.allReduceSum(ByteBuffer.allocateDirect(10), Collective.Phase.STEP));
      assertTrue(partial.getMessage().contains("10 bytes"), partial.getMessage());
      IllegalArgumentException readOnly =
          assertThrows(
              IllegalArgumentException.class,
              () ->
                  rank0.allReduceSum(
                      ByteBuffer.allocateDirect(8).asReadOnlyBuffer(), Collective.Phase.STEP));
      assertTrue(readOnly.getMessage().contains("read-only"), readOnly.getMessage());
    }
  }

  @Test
  void localCollectiveLeavesBytesAsTheyAre() {
    try (LocalCollective one = new LocalCollective()) {
      ByteBuffer b = around(new float[] {1f, 2f}, true, ByteOrder.LITTLE_ENDIAN);
      one.allReduceSum(b, Collective.Phase.STEP);
      assertArrayEquals(new float[] {1f, 2f}, reducedPart(b, 2));
    }
  }
}
