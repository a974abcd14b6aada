package ai.igspark.collective;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.igspark.collective.RingFixture.Outcome;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/** Dead, silent, slow and hostile peers (docs/ARCHITECTURE.md §9.2). */
class TcpRingCollectiveFaultTest {
  private static final Duration DEADLINE = Duration.ofMillis(1500);
  /** Scheduling slack on a loaded 2-core machine. */
  private static final Duration MARGIN = Duration.ofSeconds(3);

  private static RingOptions shortDeadlines() {
    return RingOptions.defaults()
        .withBucketBytes(1 << 20)
        .withStepDeadline(DEADLINE)
        .withCheckpointDeadline(Duration.ofSeconds(30))
        .withConnectDeadline(Duration.ofSeconds(20));
  }

  private static void assertFailedWithin(Outcome<?> o, Duration limit, String who) {
    assertInstanceOf(Collective.CollectiveException.class, o.error(), who + ": " + o);
    assertTrue(
        o.elapsed().compareTo(limit) < 0, who + " failed only after " + o.elapsed() + ": " + o);
  }

  @Test
  void silentPeerMakesEveryOtherRankFailWithinTheDeadline() throws Exception {
    int w = 4;
    CountDownLatch othersDone = new CountDownLatch(w - 1);
    try (RingFixture ring = RingFixture.connect(w, shortDeadlines())) {
      List<Outcome<Void>> out =
          ring.runEach(
              r -> {
                if (r == 2) {
                  // A rank stuck elsewhere: it never calls the collective, its sockets stay open.
                  try {
                    othersDone.await(60, TimeUnit.SECONDS);
                  } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                  }
                  return null;
                }
                try {
                  ring.ranks[r].allReduceSum(new float[4 << 20]);
                } finally {
                  othersDone.countDown();
                }
                return null;
              },
              Duration.ofSeconds(60).plus(DEADLINE));
      int timeouts = 0;
      for (int r = 0; r < w; r++) {
        if (r == 2) {
          continue;
        }
        assertFailedWithin(out.get(r), DEADLINE.plus(MARGIN), "rank " + r);
        if (out.get(r).error() instanceof Collective.DeadlineExceededException) {
          timeouts++;
          assertTrue(out.get(r).error().getMessage().contains("STEP deadline"));
        }
      }
      assertTrue(timeouts >= 1, "someone must have hit the deadline: " + out);
    }
  }

  @Test
  void silentPeerMakesEveryChannelOfEveryOtherRankFailWithinTheDeadline() throws Exception {
    int w = 3;
    CountDownLatch othersDone = new CountDownLatch(w - 1);
    try (RingFixture ring = RingFixture.connect(w, shortDeadlines().withChannels(3))) {
      List<Outcome<Void>> out =
          ring.runEach(
              r -> {
                try {
                  if (r == 0) {
                    othersDone.await(60, TimeUnit.SECONDS);
                    return null;
                  }
                  ring.ranks[r].allReduceSum(new float[1 << 20]);
                  return null;
                } catch (InterruptedException e) {
                  throw new IllegalStateException(e);
                } finally {
                  othersDone.countDown();
                }
              },
              Duration.ofSeconds(60));
      assertFailedWithin(out.get(1), DEADLINE.plus(MARGIN), "rank 1");
      assertFailedWithin(out.get(2), DEADLINE.plus(MARGIN), "rank 2");
      // A failed multi-channel ring stays failed and has closed every lane.
      assertThrows(
          Collective.CollectiveException.class, () -> ring.ranks[1].allReduceSum(new float[8]));
    }
  }

  @Test
  void closedPeerMakesEveryOtherRankFailPromptly() throws Exception {
    int w = 3;
    RingOptions longDeadline = shortDeadlines().withStepDeadline(Duration.ofSeconds(30));
    try (RingFixture ring = RingFixture.connect(w, longDeadline)) {
      ring.ranks[1].close();
      List<Outcome<Void>> out =
          ring.runEach(
              r -> {
                ring.ranks[r].allReduceSum(new float[1 << 20]);
                return null;
              },
              Duration.ofSeconds(60));
      for (int r = 0; r < w; r++) {
        // Far below the 30 s deadline: a closed socket is noticed at once.
        assertFailedWithin(out.get(r), Duration.ofSeconds(10), "rank " + r);
      }
    }
  }

  @Test
  void peerKilledMidTransferMakesEveryOtherRankFail() throws Exception {
    int w = 3;
    try (RingFixture ring = RingFixture.connect(w, shortDeadlines())) {
      Future<?> killer =
          ring.submit(
              () -> {
                Thread.sleep(30);
                ring.ranks[0].close();
                return null;
              });
      List<Outcome<Void>> out =
          ring.runEach(
              r -> {
                float[] x = new float[8 << 20];
                for (int call = 0; call < 100; call++) {
                  ring.ranks[r].allReduceSum(x);
                }
                return null;
              },
              Duration.ofSeconds(120));
      killer.get();
      for (int r = 1; r < w; r++) {
        assertInstanceOf(Collective.CollectiveException.class, out.get(r).error(), "rank " + r);
      }
    }
  }

  @Test
  void slowCheckpointWriterIsNotTakenForADeadPeer() throws Exception {
    int w = 3;
    try (RingFixture ring = RingFixture.connect(w, shortDeadlines())) {
      List<Outcome<float[]>> out =
          ring.runEach(
              r -> {
                if (r == 1) {
                  sleep(DEADLINE.multipliedBy(2)); // "writing its checkpoint"
                }
                ring.ranks[r].barrier(Collective.Phase.CHECKPOINT);
                float[] x = {r, 1f};
                ring.ranks[r].allReduceSum(x);
                return x;
              },
              Duration.ofSeconds(60));
      for (Outcome<float[]> o : out) {
        assertNull(o.error());
        assertArrayEquals(new float[] {3f, 3f}, o.value());
      }
    }
  }

  @Test
  void slowRankInTheStepPhaseIsTakenForADeadPeer() throws Exception {
    int w = 3;
    try (RingFixture ring = RingFixture.connect(w, shortDeadlines())) {
      List<Outcome<Void>> out =
          ring.runEach(
              r -> {
                if (r == 1) {
                  sleep(DEADLINE.multipliedBy(2));
                }
                ring.ranks[r].barrier(Collective.Phase.STEP);
                return null;
              },
              Duration.ofSeconds(60));
      assertFailedWithin(out.get(0), DEADLINE.plus(MARGIN), "rank 0");
      assertFailedWithin(out.get(2), DEADLINE.plus(MARGIN), "rank 2");
    }
  }

  @Test
  void leftNeighbourThatNeverJoinsFailsTheConnectWithinItsDeadline() throws Exception {
    try (RingFixture ring = RingFixture.bind(2)) {
      Duration connect = Duration.ofMillis(1500);
      long t0 = System.nanoTime();
      Collective.CollectiveException e =
          assertThrows(
              Collective.CollectiveException.class,
              () ->
                  TcpRingCollective.connect(
                      0,
                      ring.addresses,
                      ring.listeners.get(0),
                      RingFixture.SESSION,
                      RingFixture.SECRET,
                      shortDeadlines().withConnectDeadline(connect)));
      Duration elapsed = Duration.ofNanos(System.nanoTime() - t0);
      assertTrue(elapsed.compareTo(connect.plus(MARGIN)) < 0, "took " + elapsed);
      assertTrue(e.getMessage().contains("left neighbour rank 1 did not join"), e.getMessage());
      assertTrue(e.getMessage().contains("right neighbour rank 1"), e.getMessage());
    }
  }

  @Test
  void strayAndHostileConnectionsAreRefusedWhileTheRingConnects() throws Exception {
    int w = 3;
    List<SocketChannel> strays = new ArrayList<>();
    try (RingFixture ring = RingFixture.bind(w)) {
      InetSocketAddress target = ring.addresses.get(0);
      // A half-open client that never speaks, one that hangs up, one that sends random bytes,
      // and one that sends a valid magic and then goes silent.
      strays.add(SocketChannel.open(target));
      SocketChannel hangUp = SocketChannel.open(target);
      hangUp.close();
      SocketChannel noise = SocketChannel.open(target);
      byte[] junk = new byte[4096];
      new Random(1).nextBytes(junk);
      noise.write(ByteBuffer.wrap(junk));
      strays.add(noise);
      SocketChannel partial = SocketChannel.open(ring.addresses.get(1));
      partial.write(ByteBuffer.wrap(TcpRingCollective.Handshake.MAGIC));
      strays.add(partial);

      // Impostors posing as rank 0's left neighbour (rank 2): a zombie of another stage attempt
      // (right secret, old nonce) and a client without the secret.
      Future<Throwable> zombie =
          impostor(ring, new TcpRingCollective.Session("run-test", 3, "attempt-old"),
              RingFixture.SECRET);
      byte[] wrongSecret = "not-the-secret-0123456789".getBytes(StandardCharsets.UTF_8);
      Future<Throwable> outsider = impostor(ring, RingFixture.SESSION, wrongSecret);
      Thread.sleep(200);

      ring.connectAll(shortDeadlines().withStepDeadline(Duration.ofSeconds(20)));
      assertRingSums(ring);

      for (Future<Throwable> f : List.of(zombie, outsider)) {
        Throwable t = f.get(30, TimeUnit.SECONDS);
        assertInstanceOf(Collective.CollectiveException.class, t);
        assertTrue(t.getMessage().contains("refused"), t.getMessage());
        String secret = new String(RingFixture.SECRET, StandardCharsets.UTF_8);
        assertFalse(t.getMessage().contains(secret), "secret leaked: " + t.getMessage());
      }
    } finally {
      for (SocketChannel s : strays) {
        s.close();
      }
    }
  }

  @Test
  void moreSilentClientsThanThePendingLimitCannotLockOutTheNeighbour() throws Exception {
    List<SocketChannel> strays = new ArrayList<>();
    try (RingFixture ring = RingFixture.bind(2)) {
      RingOptions options = shortDeadlines().withStepDeadline(Duration.ofSeconds(20));
      List<Future<TcpRingCollective>> ranks = new ArrayList<>();
      for (int r = 0; r < 2; r++) {
        int rank = r;
        if (rank == 1) {
          // Rank 0 is accepting: flood it with more silent clients than it keeps pending (64)
          // before its real left neighbour arrives.
          for (int i = 0; i < 100; i++) {
            strays.add(SocketChannel.open(ring.addresses.get(0)));
          }
        }
        ranks.add(
            ring.submit(
                () ->
                    TcpRingCollective.connect(
                        rank,
                        ring.addresses,
                        ring.listeners.get(rank),
                        RingFixture.SESSION,
                        RingFixture.SECRET,
                        options)));
      }
      for (int r = 0; r < 2; r++) {
        ring.ranks[r] = ranks.get(r).get(60, TimeUnit.SECONDS);
      }
      assertRingSums(ring);
    } finally {
      for (SocketChannel s : strays) {
        s.close();
      }
    }
  }

  @Test
  void connectionsToARunningRingAreRefusedAndTheRingStillSums() throws Exception {
    try (RingFixture ring = RingFixture.connect(3, shortDeadlines())) {
      for (InetSocketAddress a : ring.addresses) {
        // The listeners closed once the ring was up: nothing can reach a running ring.
        assertThrows(IOException.class, () -> strayExchange(a));
      }
      assertRingSums(ring);
    }
  }

  /** Connects and tries to talk; throws when the connection is refused or dropped. */
  private static void strayExchange(InetSocketAddress a) throws IOException {
    try (SocketChannel s = SocketChannel.open(a)) {
      s.write(ByteBuffer.wrap(new byte[64]));
      if (s.read(ByteBuffer.allocate(64)) < 0) {
        throw new IOException("dropped");
      }
    }
  }

  private static Future<Throwable> impostor(
      RingFixture ring, TcpRingCollective.Session session, byte[] secret) throws IOException {
    ServerSocketChannel own = ServerSocketChannel.open();
    own.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
    List<InetSocketAddress> addresses = new ArrayList<>(ring.addresses);
    addresses.set(2, (InetSocketAddress) own.getLocalAddress());
    return ring.submit(
        () -> {
          try (TcpRingCollective c =
              TcpRingCollective.connect(
                  2, addresses, own, session, secret,
                  shortDeadlines().withConnectDeadline(Duration.ofSeconds(20)))) {
            return null;
          } catch (Throwable t) {
            return t;
          }
        });
  }

  private static void assertRingSums(RingFixture ring) throws Exception {
    int n = 100_003;
    List<Outcome<float[]>> out =
        ring.runEach(
            r -> {
              float[] x = TcpRingCollectiveTest.integers(r, n);
              ring.ranks[r].allReduceSum(x);
              return x;
            },
            Duration.ofSeconds(60));
    float[] expected = new float[n];
    for (int r = 0; r < ring.worldSize; r++) {
      float[] x = TcpRingCollectiveTest.integers(r, n);
      for (int i = 0; i < n; i++) {
        expected[i] += x[i];
      }
    }
    for (Outcome<float[]> o : out) {
      assertNull(o.error(), String.valueOf(o));
      assertArrayEquals(expected, o.value());
    }
  }

  private static void sleep(Duration d) {
    try {
      Thread.sleep(d.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Test
  void cancelledTaskStopsWaitingForANeighbourThatNeverConnects() throws Exception {
    try (RingFixture ring = RingFixture.bind(2)) {
      AtomicBoolean cancelled = new AtomicBoolean();
      long t0 = System.nanoTime();
      var flip = java.util.concurrent.CompletableFuture.runAsync(() -> {
        sleepQuietly(300);
        cancelled.set(true);
      });
      // rank 1 never starts; the connect deadline (20 s) is far away
      Collective.CollectiveException e = assertThrows(Collective.CollectiveException.class,
          () -> TcpRingCollective.connect(0, ring.addresses, ring.listeners.get(0),
              RingFixture.SESSION, RingFixture.SECRET, shortDeadlines(), cancelled::get));
      flip.get();
      Duration took = Duration.ofNanos(System.nanoTime() - t0);
      assertTrue(e.getMessage().contains("cancelled"), e.getMessage());
      assertTrue(took.compareTo(Duration.ofMillis(300).plus(MARGIN)) < 0, "took " + took);
    }
  }

  @Test
  void cancelledTaskStopsWaitingForASilentNeighbourBeforeTheStepDeadline() throws Exception {
    RingOptions longStep = shortDeadlines().withStepDeadline(Duration.ofSeconds(60));
    try (RingFixture ring = RingFixture.bind(2)) {
      AtomicBoolean cancelled = new AtomicBoolean();
      List<RingFixture.Outcome<TcpRingCollective>> rings = ring.runEach(
          r -> TcpRingCollective.connect(r, ring.addresses, ring.listeners.get(r),
              RingFixture.SESSION, RingFixture.SECRET, longStep, r == 0 ? cancelled::get
                  : () -> false),
          Duration.ofSeconds(30));
      try {
        TcpRingCollective rank0 = rings.get(0).value();
        long t0 = System.nanoTime();
        var flip = java.util.concurrent.CompletableFuture.runAsync(() -> {
          sleepQuietly(300);
          cancelled.set(true);
        });
        // rank 1 never calls the collective: only the cancellation can end rank 0's wait
        Collective.CollectiveException e = assertThrows(Collective.CollectiveException.class,
            () -> rank0.allReduceSum(java.nio.FloatBuffer.allocate(1 << 16),
                Collective.Phase.STEP));
        flip.get();
        Duration took = Duration.ofNanos(System.nanoTime() - t0);
        assertTrue(e.getMessage().contains("cancelled"), e.getMessage());
        assertTrue(took.compareTo(Duration.ofMillis(300).plus(MARGIN)) < 0, "took " + took);
      } finally {
        rings.forEach(o -> TcpRingCollective.closeQuietly(o.value()));
      }
    }
  }

  private static void sleepQuietly(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
