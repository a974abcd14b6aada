package ai.igspark.collective;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.igspark.collective.RingFixture.Outcome;
import ai.igspark.data.InvalidInputException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class TcpRingCollectiveTest {
  private static final Duration WAIT = Duration.ofSeconds(60);

  static RingOptions options(int bucketBytes) {
    return RingOptions.defaults()
        .withBucketBytes(bucketBytes)
        .withStepDeadline(Duration.ofSeconds(20))
        .withConnectDeadline(Duration.ofSeconds(20));
  }

  /** Small integers: every partial sum is exact in fp32, so any order gives the exact sum. */
  static float[] integers(int rank, int n) {
    float[] x = new float[n];
    for (int i = 0; i < n; i++) {
      x[i] = ((i * 7 + rank * 13) % 51) - 25;
    }
    return x;
  }

  static float[] randoms(int rank, int n, long seed) {
    Random rnd = new Random(seed * 1000 + rank);
    float[] x = new float[n];
    for (int i = 0; i < n; i++) {
      x[i] = (float) (rnd.nextGaussian() * Math.exp(rnd.nextGaussian()));
    }
    return x;
  }

  /** A direct, native-order buffer like DJL's {@code toByteBuffer(true).asFloatBuffer()}. */
  static FloatBuffer direct(float[] x) {
    FloatBuffer b =
        ByteBuffer.allocateDirect(x.length * 4).order(ByteOrder.nativeOrder()).asFloatBuffer();
    b.put(0, x);
    return b;
  }

  static float[] toArray(FloatBuffer b) {
    float[] x = new float[b.capacity()];
    b.duplicate().clear().get(0, x);
    return x;
  }

  /** The sum the ring computes: chunk c summed left to right from rank c (class javadoc). */
  static float[] fixedOrderSum(float[][] inputs, int bucketFloats) {
    return fixedOrderSum(inputs, bucketFloats, 1);
  }

  /** The same with the buffer cut into one part per channel, each bucketed on its own. */
  static float[] fixedOrderSum(float[][] inputs, int bucketFloats, int channels) {
    int total = inputs[0].length;
    float[] out = new float[total];
    for (int lane = 0; lane < channels; lane++) {
      int base = TcpRingCollective.chunkStart(total, lane, channels);
      int n = TcpRingCollective.chunkLength(total, lane, channels);
      sumPart(inputs, bucketFloats, base, n, out);
    }
    return out;
  }

  private static void sumPart(float[][] inputs, int bucketFloats, int base, int n, float[] out) {
    int w = inputs.length;
    for (int b0 = base; b0 < base + n; b0 += bucketFloats) {
      int len = Math.min(bucketFloats, base + n - b0);
      for (int c = 0; c < w; c++) {
        int start = TcpRingCollective.chunkStart(len, c, w);
        for (int j = 0; j < TcpRingCollective.chunkLength(len, c, w); j++) {
          int i = b0 + start + j;
          float sum = inputs[c][i];
          for (int k = 1; k < w; k++) {
            sum = sum + inputs[(c + k) % w][i];
          }
          out[i] = sum;
        }
      }
    }
  }

  @ParameterizedTest(name = "W={0}, n={1}, bucket={2} B")
  @CsvSource({
    "1, 10, 64",
    "2, 1, 64",
    "2, 1001, 64",
    "3, 2, 64",
    "3, 1000, 36",
    "3, 100003, 4096",
    "4, 3, 64",
    "4, 4097, 40",
    "4, 250001, 65536",
  })
  void sumsSmallIntegersExactly(int w, int n, int bucketBytes) throws Exception {
    try (RingFixture ring = RingFixture.connect(w, options(bucketBytes))) {
      float[][] in = new float[w][];
      FloatBuffer[] buffers = new FloatBuffer[w];
      for (int r = 0; r < w; r++) {
        in[r] = integers(r, n);
        buffers[r] = direct(in[r]);
      }
      List<Outcome<Void>> out =
          ring.runEach(
              r -> {
                ring.ranks[r].allReduceSum(buffers[r]);
                return null;
              },
              WAIT);
      float[] expected = new float[n];
      for (int i = 0; i < n; i++) {
        long s = 0;
        for (int r = 0; r < w; r++) {
          s += (long) in[r][i];
        }
        expected[i] = s;
      }
      for (int r = 0; r < w; r++) {
        assertNull(out.get(r).error(), () -> "rank failed: " + out);
        assertArrayEquals(expected, toArray(buffers[r]), "rank " + r);
      }
    }
  }

  @ParameterizedTest(name = "W={0}")
  @CsvSource({"2", "3", "4"})
  void randomFloatsAreBitwiseIdenticalOnEveryRankAndInFixedOrder(int w) throws Exception {
    int n = 30011;
    int bucketBytes = 4 * 1000;
    try (RingFixture ring = RingFixture.connect(w, options(bucketBytes))) {
      float[][] in = new float[w][];
      float[][] work = new float[w][];
      for (int r = 0; r < w; r++) {
        in[r] = randoms(r, n, 42);
        work[r] = in[r].clone();
      }
      List<Outcome<Void>> out =
          ring.runEach(
              r -> {
                ring.ranks[r].allReduceSum(work[r]);
                return null;
              },
              WAIT);
      float[] expected = fixedOrderSum(in, bucketBytes / 4);
      for (int r = 0; r < w; r++) {
        assertNull(out.get(r).error());
        assertArrayEquals(expected, work[r], "rank " + r + " differs from the fixed-order sum");
      }
      for (int i = 0; i < n; i++) {
        double exact = 0;
        double magnitude = 0;
        for (int r = 0; r < w; r++) {
          exact += in[r][i];
          magnitude += Math.abs(in[r][i]);
        }
        // W−1 fp32 additions: |error| ≤ (W−1)·2⁻²⁴·Σ|x| (plus slack).
        double bound = w * Math.ulp(1f) * magnitude + 1e-30;
        assertTrue(Math.abs(work[0][i] - exact) <= bound, "element " + i);
      }
    }
  }

  @ParameterizedTest(name = "W={0}")
  @CsvSource({"2", "3", "4"})
  void bf16WireStaysWithinItsRoundingBoundAndIdenticalOnEveryRank(int w) throws Exception {
    int n = 9001;
    RingOptions bf16 = options(4 * 512).withWireDtype(RingOptions.WireDtype.BF16);
    try (RingFixture ring = RingFixture.connect(w, bf16)) {
      float[][] in = new float[w][];
      FloatBuffer[] buffers = new FloatBuffer[w];
      for (int r = 0; r < w; r++) {
        in[r] = randoms(r, n, 7);
        buffers[r] = direct(in[r]);
      }
      List<Outcome<Void>> out =
          ring.runEach(
              r -> {
                ring.ranks[r].allReduceSum(buffers[r]);
                return null;
              },
              WAIT);
      float[] first = toArray(buffers[0]);
      for (int r = 0; r < w; r++) {
        assertNull(out.get(r).error());
        assertArrayEquals(first, toArray(buffers[r]), "rank " + r + " differs from rank 0");
      }
      for (int i = 0; i < n; i++) {
        double exact = 0;
        double magnitude = 0;
        for (int r = 0; r < w; r++) {
          exact += in[r][i];
          magnitude += Math.abs(in[r][i]);
        }
        // W roundings to bf16 (unit roundoff 2⁻⁸), each of a partial sum ≤ Σ|x|.
        double bound = w * Math.scalb(1.0, -8) * magnitude * (1 + 1e-6);
        assertTrue(
            Math.abs(first[i] - exact) <= bound,
            "element " + i + ": " + first[i] + " vs " + exact + " (bound " + bound + ")");
        assertEquals(0, Float.floatToRawIntBits(first[i]) & 0xffff, "not a bf16 value");
      }
    }
  }

  @Test
  void bf16RoundsToNearestEven() {
    // 1 + 2⁻⁸ lies halfway between bf16 neighbours 1 and 1 + 2⁻⁷: ties go to the even one, 1.
    assertEquals(1f, TcpRingCollective.Bf16.toFloat(TcpRingCollective.Bf16.fromFloat(1.00390625f)));
    // 1 + 3·2⁻⁸ is halfway between 1 + 2⁻⁷ (odd) and 1 + 2⁻⁶ (even): rounds up.
    assertEquals(
        1.015625f, TcpRingCollective.Bf16.toFloat(TcpRingCollective.Bf16.fromFloat(1.01171875f)));
    assertEquals(
        1.0078125f,
        TcpRingCollective.Bf16.toFloat(TcpRingCollective.Bf16.fromFloat(1.0078125f + 1e-6f)));
    assertTrue(Float.isNaN(TcpRingCollective.Bf16.toFloat(TcpRingCollective.Bf16.fromFloat(
        Float.NaN))));
    assertEquals(
        Float.POSITIVE_INFINITY,
        TcpRingCollective.Bf16.toFloat(TcpRingCollective.Bf16.fromFloat(Float.MAX_VALUE)));
  }

  @Test
  void reducesOnlyBetweenPositionAndLimitAndKeepsThem() throws Exception {
    int w = 3;
    int n = 1000;
    try (RingFixture ring = RingFixture.connect(w, options(256))) {
      FloatBuffer[] buffers = new FloatBuffer[w];
      for (int r = 0; r < w; r++) {
        buffers[r] = direct(integers(r, n));
        buffers[r].position(5).limit(n - 7);
      }
      List<Outcome<Void>> out =
          ring.runEach(
              r -> {
                ring.ranks[r].allReduceSum(buffers[r]);
                return null;
              },
              WAIT);
      for (int r = 0; r < w; r++) {
        assertNull(out.get(r).error());
        assertEquals(5, buffers[r].position());
        assertEquals(n - 7, buffers[r].limit());
        float[] own = integers(r, n);
        float[] got = toArray(buffers[r]);
        for (int i = 0; i < n; i++) {
          float expected =
              i < 5 || i >= n - 7
                  ? own[i]
                  : integers(0, n)[i] + integers(1, n)[i] + integers(2, n)[i];
          assertEquals(expected, got[i], "rank " + r + " element " + i);
        }
      }
    }
  }

  @ParameterizedTest(name = "W={0}, channels={1}")
  @CsvSource({"2, 2", "3, 3", "4, 2"})
  void severalChannelsGiveTheFixedOrderSumOnEveryRank(int w, int channels) throws Exception {
    int n = 20011;
    int bucketBytes = 4 * 700;
    RingOptions lanes = options(bucketBytes).withChannels(channels);
    try (RingFixture ring = RingFixture.connect(w, lanes)) {
      float[][] in = new float[w][];
      float[][] work = new float[w][];
      for (int r = 0; r < w; r++) {
        in[r] = randoms(r, n, 5);
        work[r] = in[r].clone();
      }
      List<Outcome<Void>> out =
          ring.runEach(
              r -> {
                for (int call = 0; call < 3; call++) {
                  float[] x = call == 2 ? work[r] : new float[n + call];
                  ring.ranks[r].allReduceSum(x);
                }
                return null;
              },
              WAIT);
      float[] expected = fixedOrderSum(in, bucketBytes / 4, channels);
      for (int r = 0; r < w; r++) {
        assertNull(out.get(r).error(), String.valueOf(out.get(r)));
        assertArrayEquals(expected, work[r], "rank " + r);
      }
    }
  }

  @Test
  void bigEndianAndHeapBuffersSumToo() throws Exception {
    int n = 5003;
    try (RingFixture ring = RingFixture.connect(2, options(4096))) {
      FloatBuffer[] buffers = {
        ByteBuffer.allocateDirect(4 * n).order(ByteOrder.BIG_ENDIAN).asFloatBuffer(),
        FloatBuffer.allocate(n)
      };
      for (int r = 0; r < 2; r++) {
        buffers[r].put(0, integers(r, n));
      }
      List<Outcome<Void>> out =
          ring.runEach(
              r -> {
                ring.ranks[r].allReduceSum(buffers[r]);
                return null;
              },
              WAIT);
      float[] expected = integers(0, n);
      float[] one = integers(1, n);
      for (int i = 0; i < n; i++) {
        expected[i] += one[i];
      }
      for (int r = 0; r < 2; r++) {
        assertNull(out.get(r).error());
        assertArrayEquals(expected, toArray(buffers[r]), "rank " + r);
      }
    }
  }

  @Test
  void manyCallsInARowReuseTheRing() throws Exception {
    int w = 4;
    try (RingFixture ring = RingFixture.connect(w, options(1024))) {
      List<Outcome<float[]>> out =
          ring.runEach(
              r -> {
                float[] x = new float[777];
                for (int call = 0; call < 50; call++) {
                  java.util.Arrays.fill(x, r + call);
                  ring.ranks[r].allReduceSum(x);
                }
                return x;
              },
              WAIT);
      float expected = 0 + 1 + 2 + 3 + 4 * 49;
      for (Outcome<float[]> o : out) {
        assertNull(o.error());
        for (float v : o.value()) {
          assertEquals(expected, v);
        }
      }
    }
  }

  @Test
  void differentLengthsOnTwoRanksFailWithBothLengthsNamed() throws Exception {
    try (RingFixture ring = RingFixture.connect(2, options(1024))) {
      List<Outcome<Void>> out =
          ring.runEach(
              r -> {
                ring.ranks[r].allReduceSum(new float[r == 0 ? 100 : 120]);
                return null;
              },
              WAIT);
      for (Outcome<Void> o : out) {
        assertTrue(o.error() instanceof Collective.CollectiveException, String.valueOf(o));
        String m = o.error().getMessage();
        assertTrue(m.contains("100") && m.contains("120"), m);
      }
      // A failed ring stays failed.
      Collective.CollectiveException again =
          assertThrows(
              Collective.CollectiveException.class, () -> ring.ranks[0].allReduceSum(new float[1]));
      assertTrue(again.getMessage().contains("failed earlier"), again.getMessage());
    }
  }

  @Test
  void worldOfOneNeedsNoListener() {
    try (TcpRingCollective one =
        TcpRingCollective.connect(
            0,
            List.of(new java.net.InetSocketAddress("127.0.0.1", 1)),
            null,
            RingFixture.SESSION,
            RingFixture.SECRET,
            RingOptions.defaults())) {
      float[] x = {1f, 2f, 3f};
      one.allReduceSum(x);
      assertArrayEquals(new float[] {1f, 2f, 3f}, x);
      assertEquals(1, one.worldSize());
    }
  }

  @Test
  void badAddressIsNamedWithItsRank() {
    InvalidInputException e =
        assertThrows(
            InvalidInputException.class,
            () -> TcpRingCollective.parseAddresses(List.of("127.0.0.1:5000", "nohostport")));
    assertTrue(e.getMessage().contains("rank 1") && e.getMessage().contains("nohostport"));
    InvalidInputException port =
        assertThrows(
            InvalidInputException.class,
            () -> TcpRingCollective.parseAddresses(List.of("127.0.0.1:70000")));
    assertTrue(port.getMessage().contains("127.0.0.1:70000"), port.getMessage());
    assertEquals(
        List.of(new java.net.InetSocketAddress("127.0.0.1", 5000)),
        TcpRingCollective.parseAddresses(List.of("127.0.0.1:5000")));
  }

  @Test
  void toStringNeverShowsTheSecret() throws Exception {
    try (RingFixture ring = RingFixture.connect(2, options(1024))) {
      String s = ring.ranks[0].toString();
      assertTrue(s.contains("rank 0 of 2"), s);
      String secret = new String(RingFixture.SECRET, java.nio.charset.StandardCharsets.UTF_8);
      assertTrue(!s.contains(secret), s);
    }
  }
}
