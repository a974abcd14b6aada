package ai.igspark.collective;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.igspark.collective.RingFixture.Outcome;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * A local process that holds hundreds of unauthenticated connections on every ring listener
 * (docs/RELIABILITY.md, "Hostile local connections on the ring").
 */
class HostileLocalConnectionsTest {
  private static final int SILENT = 300;
  private static final int SLOWLORIS = 3;
  /** Scheduling slack on a loaded 2-core machine. */
  private static final Duration MARGIN = Duration.ofMillis(1500);

  @Test
  void silentAndSlowlorisConnectionsOnEveryListenerNeitherFailNorStallA2RankRing()
      throws Exception {
    RingOptions options = RingOptions.defaults()
        .withBucketBytes(1 << 20)
        .withStepDeadline(Duration.ofSeconds(20))
        .withConnectDeadline(Duration.ofSeconds(30));
    try (RingFixture ring = RingFixture.bind(2);
        ConnectionFlood flood = new ConnectionFlood(ring.addresses, SILENT, SLOWLORIS, true)) {
      // The flood is in the listeners' queues before either rank starts to accept.
      long until = System.nanoTime() + Duration.ofSeconds(5).toNanos();
      while (flood.connected() < 2 * 40 && System.nanoTime() < until) {
        Thread.sleep(20);
      }
      long t0 = System.nanoTime();
      ring.connectAll(options); // one attempt: any rank's failure fails the test
      Duration connect = Duration.ofNanos(System.nanoTime() - t0);
      assertTrue(connect.compareTo(Duration.ofSeconds(10)) < 0, "connected only after " + connect);
      // On a fast machine the ring can connect before the flood's thread has finished its
      // connects; the sums below run only once the whole flood is held.
      until = System.nanoTime() + Duration.ofSeconds(20).toNanos();
      while (flood.connected() < SILENT && System.nanoTime() < until) {
        Thread.sleep(20);
      }
      assertTrue(flood.connected() >= SILENT,
          "only " + flood.connected() + " hostile connections reached the listeners");

      int n = 250_007;
      float[] expected = TcpRingCollectiveTest.integers(0, n);
      float[] ofRank1 = TcpRingCollectiveTest.integers(1, n);
      for (int i = 0; i < n; i++) {
        expected[i] += ofRank1[i];
      }
      for (Outcome<List<float[]>> o :
          ring.runEach(r -> threeSums(ring.ranks[r], n), Duration.ofSeconds(60))) {
        assertNull(o.error(), String.valueOf(o));
        for (float[] sum : o.value()) {
          assertArrayEquals(expected, sum);
        }
      }
    }
  }

  /** Three all-reduces of the rank's integers. */
  private static List<float[]> threeSums(Collective rank, int n) {
    List<float[]> sums = new ArrayList<>();
    for (int call = 0; call < 3; call++) {
      float[] x = TcpRingCollectiveTest.integers(rank.rank(), n);
      rank.allReduceSum(x);
      sums.add(x);
    }
    return sums;
  }

  @Test
  void aConnectionWhoseFirstByteIsNotTheMagicIsCutAtOnce() throws Exception {
    Duration held = heldWhileRankZeroAccepts(new byte[] {'X'});
    assertTrue(held.compareTo(MARGIN) < 0, "cut only after " + held);
  }

  @Test
  void aSlowlorisSendingTheMagicIsCutAtTheHandshakeDeadline() throws Exception {
    // One byte every 300 ms: 7 of the 8 bytes are in when the deadline comes.
    Duration held = heldWhileRankZeroAccepts(TcpRingCollective.Handshake.MAGIC);
    Duration deadline = PendingHandshakes.HANDSHAKE_DEADLINE;
    assertTrue(held.compareTo(deadline.minusMillis(100)) > 0, "cut early, after " + held);
    assertTrue(held.compareTo(deadline.plus(MARGIN)) < 0, "cut only after " + held);
  }

  @Test
  void aConnectorClosedBeforeItsChallengeConnectsAgainInsteadOfTakingItForARefusal()
      throws Exception {
    RingOptions options = TcpRingCollectiveTest.options(1 << 20);
    try (RingFixture ring = RingFixture.bind(2)) {
      Future<TcpRingCollective> rank0 =
          ring.submit(
              () -> TcpRingCollective.connect(0, ring.addresses, ring.listeners.get(0),
                  RingFixture.SESSION, RingFixture.SECRET, options));
      // Rank 1's listener turns rank 0's first connection away (closed before any byte), as a
      // listener with a full table does; only then does rank 1 start.
      ServerSocketChannel listener1 = ring.listeners.get(1);
      listener1.accept().close();
      ring.ranks[1] = TcpRingCollective.connect(1, ring.addresses, listener1,
          RingFixture.SESSION, RingFixture.SECRET, options);
      ring.ranks[0] = rank0.get(30, TimeUnit.SECONDS);
      float[] x = {1f, 2f};
      List<Outcome<float[]>> out =
          ring.runEach(
              r -> {
                float[] v = x.clone();
                ring.ranks[r].allReduceSum(v);
                return v;
              },
              Duration.ofSeconds(30));
      for (Outcome<float[]> o : out) {
        assertNull(o.error(), String.valueOf(o));
        assertArrayEquals(new float[] {2f, 4f}, o.value());
      }
    }
  }

  /**
   * How long rank 0's listener, while waiting for its left neighbour, keeps a client that reads
   * the challenge and then dribbles {@code bytes}, the first at once, then one per 300 ms.
   */
  private static Duration heldWhileRankZeroAccepts(byte[] bytes) throws Exception {
    AtomicBoolean cancelled = new AtomicBoolean();
    try (RingFixture ring = RingFixture.bind(2)) {
      Future<Throwable> rank0 =
          ring.submit(
              () -> {
                try {
                  TcpRingCollective.connect(0, ring.addresses, ring.listeners.get(0),
                      RingFixture.SESSION, RingFixture.SECRET,
                      TcpRingCollectiveTest.options(1 << 20), cancelled::get).close();
                  return null;
                } catch (Throwable t) {
                  return t;
                }
              });
      try (SocketChannel client = SocketChannel.open(ring.addresses.get(0))) {
        readChallenge(client);
        long t0 = System.nanoTime();
        client.write(ByteBuffer.wrap(bytes, 0, 1));
        client.configureBlocking(false);
        int next = 1;
        ByteBuffer in = ByteBuffer.allocate(64);
        long until = t0 + Duration.ofSeconds(10).toNanos();
        while (System.nanoTime() < until) {
          try {
            if (client.read(in.clear()) < 0) {
              return Duration.ofNanos(System.nanoTime() - t0);
            }
            Thread.sleep(20);
            if (next < bytes.length && System.nanoTime() - t0 > 300_000_000L * next) {
              client.write(ByteBuffer.wrap(bytes, next++, 1));
            }
          } catch (IOException reset) {
            return Duration.ofNanos(System.nanoTime() - t0);
          }
        }
        throw new AssertionError("the listener held the connection for 10 s");
      } finally {
        cancelled.set(true);
        rank0.get(30, TimeUnit.SECONDS);
      }
    }
  }

  /** Magic, version and the 32-byte challenge. */
  private static void readChallenge(SocketChannel client) throws IOException {
    ByteBuffer challenge = ByteBuffer.allocate(TcpRingCollective.Handshake.MAGIC.length + 4 + 32);
    while (challenge.hasRemaining()) {
      if (client.read(challenge) < 0) {
        throw new AssertionError("closed before the challenge");
      }
    }
  }
}
