package ai.igspark.collective;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/** W ring ranks on 127.0.0.1, one thread each, in one JVM; closes everything it opened. */
final class RingFixture implements AutoCloseable {
  static final byte[] SECRET = "test-secret-0123456789abcdef".getBytes(StandardCharsets.UTF_8);
  static final TcpRingCollective.Session SESSION =
      new TcpRingCollective.Session("run-test", 3, "attempt-7f3a");

  /** What one rank's task produced: a value or an error, and how long it took. */
  record Outcome<T>(T value, Throwable error, long nanos) {
    Duration elapsed() {
      return Duration.ofNanos(nanos);
    }
  }

  final int worldSize;
  final List<ServerSocketChannel> listeners = new ArrayList<>();
  final List<InetSocketAddress> addresses = new ArrayList<>();
  final TcpRingCollective[] ranks;
  private final ExecutorService pool;

  private RingFixture(int worldSize) throws IOException {
    this.worldSize = worldSize;
    this.ranks = new TcpRingCollective[worldSize];
    this.pool = Executors.newCachedThreadPool();
    for (int r = 0; r < worldSize; r++) {
      ServerSocketChannel l = ServerSocketChannel.open();
      l.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
      listeners.add(l);
      addresses.add((InetSocketAddress) l.getLocalAddress());
    }
  }

  /** Binds W listeners without connecting the ring. */
  static RingFixture bind(int worldSize) throws IOException {
    return new RingFixture(worldSize);
  }

  /** Binds and connects a ring with the test session and secret. */
  static RingFixture connect(int worldSize, RingOptions options) throws Exception {
    RingFixture f = bind(worldSize);
    try {
      f.connectAll(options);
    } catch (Exception | Error e) {
      f.close();
      throw e;
    }
    return f;
  }

  void connectAll(RingOptions options) throws Exception {
    List<Outcome<TcpRingCollective>> out =
        runEach(
            r ->
                TcpRingCollective.connect(
                    r, addresses, listeners.get(r), SESSION, SECRET, options),
            Duration.ofSeconds(60));
    for (int r = 0; r < worldSize; r++) {
      ranks[r] = out.get(r).value();
    }
    for (Outcome<TcpRingCollective> o : out) {
      if (o.error() != null) {
        throw new AssertionError("ring did not connect", o.error());
      }
    }
  }

  /** Runs {@code task(rank)} on every rank at once and waits for all. */
  <T> List<Outcome<T>> runEach(Function<Integer, T> task, Duration timeout) throws Exception {
    List<Future<Outcome<T>>> futures = new ArrayList<>();
    for (int r = 0; r < worldSize; r++) {
      int rank = r;
      futures.add(
          pool.submit(
              () -> {
                long t0 = System.nanoTime();
                try {
                  T v = task.apply(rank);
                  return new Outcome<>(v, null, System.nanoTime() - t0);
                } catch (Throwable e) {
                  return new Outcome<T>(null, e, System.nanoTime() - t0);
                }
              }));
    }
    List<Outcome<T>> out = new ArrayList<>();
    for (Future<Outcome<T>> f : futures) {
      out.add(f.get(timeout.toMillis(), TimeUnit.MILLISECONDS));
    }
    return out;
  }

  /** Runs a task on another thread of the fixture's pool (closed with it). */
  <T> Future<T> submit(java.util.concurrent.Callable<T> task) {
    return pool.submit(task);
  }

  @Override
  public void close() throws Exception {
    for (TcpRingCollective c : ranks) {
      if (c != null) {
        c.close();
      }
    }
    for (ServerSocketChannel l : listeners) {
      l.close();
    }
    pool.shutdownNow();
    pool.awaitTermination(10, TimeUnit.SECONDS);
  }
}
