package ai.igspark.collective;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * Loopback throughput of {@link TcpRingCollective}: W ranks as threads of this JVM, each with its
 * own sockets, against one plain TCP stream measured in the same run.
 *
 * <p>Bus bandwidth follows nccl-tests (docs/ARCHITECTURE.md §9.1): busBw = 2(W−1)/W ·
 * bytes / time, the rate each rank's link must sustain, so it compares directly with the plain
 * stream's rate.
 */
public final class RingBenchmark {

  /**
   * One measured configuration.
   *
   * @param worldSize ring ranks (threads on 127.0.0.1)
   * @param bytes fp32 gradient bytes all-reduced per call
   * @param wireDtype element type on the wire
   * @param iterations timed calls (after {@link #WARM_UP_CALLS} untimed ones)
   * @param bestSeconds fastest call
   * @param medianSeconds median call
   * @param busBandwidth 2(W−1)/W · bytes / bestSeconds, bytes per second
   * @param tcpBandwidth one plain TCP stream over loopback, bytes per second, same run
   * @param cpuSecondsPerCall mean CPU time per rank per call (all its threads): the cost
   *     independent of how busy the machine is
   * @param tcpCpuSeconds mean CPU time (writer plus reader) of the plain stream of {@code bytes}
   */
  public record Result(
      int worldSize,
      long bytes,
      RingOptions.WireDtype wireDtype,
      int iterations,
      double bestSeconds,
      double medianSeconds,
      double busBandwidth,
      double tcpBandwidth,
      double cpuSecondsPerCall,
      double tcpCpuSeconds) {
    /** Bus bandwidth as a fraction of the plain stream's, both by wall clock. */
    public double efficiency() {
      return busBandwidth / tcpBandwidth;
    }

    /**
     * Bus bytes per CPU-second of one rank, as a fraction of the plain stream's bytes per
     * CPU-second (both ends). A rank sends and receives the bus bytes, as the stream's two ends
     * together send and receive its bytes, so 1.0 means the ring costs no more CPU than raw TCP.
     * Unlike {@link #efficiency()} this does not depend on how busy the machine is.
     */
    public double cpuEfficiency() {
      double busBytes = 2.0 * (worldSize - 1) / worldSize * bytes;
      return (busBytes / cpuSecondsPerCall) / (bytes / tcpCpuSeconds);
    }
  }

  /**
   * Untimed calls before the timed ones: buffers get allocated and the JIT compiles the ring's
   * loops, whose compiler threads would otherwise count in the CPU column.
   */
  static final int WARM_UP_CALLS = 3;

  private RingBenchmark() {}

  /**
   * All-reduces {@code floats} floats across {@code worldSize} loopback ranks {@code iterations}
   * times (after {@link #WARM_UP_CALLS} untimed calls) and compares with one TCP stream of the
   * same byte count.
   */
  public static Result run(int worldSize, int floats, int iterations, RingOptions options)
      throws Exception {
    long bytes = 4L * floats;
    Stream tcp = tcpStream(bytes, Math.max(3, iterations));
    double[] timed = ringSeconds(worldSize, floats, iterations, options);
    double cpu = timed[iterations];
    double[] sorted = Arrays.copyOf(timed, iterations);
    Arrays.sort(sorted);
    double best = sorted[0];
    double median = sorted[sorted.length / 2];
    double busBw = worldSize == 1 ? 0 : 2.0 * (worldSize - 1) / worldSize * bytes / best;
    return new Result(
        worldSize,
        bytes,
        options.wireDtype(),
        iterations,
        best,
        median,
        busBw,
        tcp.bestRate(),
        cpu,
        tcp.cpuSeconds());
  }

  /** Rank 0's {@link #timeCalls} (each call starts after a barrier). */
  static double[] ringSeconds(int w, int floats, int iterations, RingOptions options)
      throws Exception {
    return onLoopbackRing(w, options, "bench", ring -> timeCalls(ring, floats, iterations));
  }

  /**
   * Runs {@code body} on every rank of a W-rank ring over 127.0.0.1, one thread per rank in this
   * JVM, with a fresh secret; returns rank 0's result and closes every socket it opened.
   */
  public static <T> T onLoopbackRing(
      int w, RingOptions options, String name, java.util.function.Function<Collective, T> body)
      throws Exception {
    byte[] secret = new byte[32];
    new SecureRandom().nextBytes(secret);
    TcpRingCollective.Session session =
        new TcpRingCollective.Session(name, 0, Long.toHexString(System.nanoTime()));
    List<ServerSocketChannel> listeners = new ArrayList<>();
    List<InetSocketAddress> addresses = new ArrayList<>();
    ExecutorService pool = Executors.newFixedThreadPool(w);
    TcpRingCollective[] ranks = new TcpRingCollective[w];
    try {
      for (int r = 0; r < w; r++) {
        ServerSocketChannel l = ServerSocketChannel.open();
        l.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        listeners.add(l);
        addresses.add((InetSocketAddress) l.getLocalAddress());
      }
      List<Future<TcpRingCollective>> connecting = new ArrayList<>();
      for (int r = 0; r < w; r++) {
        int rank = r;
        connecting.add(
            pool.submit(
                () ->
                    TcpRingCollective.connect(
                        rank, addresses, listeners.get(rank), session, secret, options)));
      }
      for (int r = 0; r < w; r++) {
        ranks[r] = connecting.get(r).get();
      }
      List<Future<T>> running = new ArrayList<>();
      for (int r = 0; r < w; r++) {
        TcpRingCollective ring = ranks[r];
        running.add(pool.submit(() -> body.apply(ring)));
      }
      T rank0 = null;
      for (Future<T> f : running) {
        T s = f.get();
        rank0 = rank0 == null ? s : rank0;
      }
      return rank0;
    } finally {
      for (TcpRingCollective c : ranks) {
        if (c != null) {
          c.close();
        }
      }
      for (ServerSocketChannel l : listeners) {
        TcpRingCollective.closeQuietly(l);
      }
      pool.shutdownNow();
      pool.awaitTermination(10, TimeUnit.SECONDS);
    }
  }

  /**
   * Wall seconds of each timed call, then the mean CPU seconds per rank per call: the process's
   * CPU time over the timed calls (all ranks and their lane threads) divided by W and the count.
   */
  private static double[] timeCalls(Collective ring, int floats, int iterations) {
    // Like SegmentTrainer: a direct native-order buffer, passed as bytes (the in-place path).
    ByteBuffer data = ByteBuffer.allocateDirect(4 * floats).order(ByteOrder.nativeOrder());
    FloatBuffer values = data.asFloatBuffer();
    for (int i = 0; i < floats; i += 4096) {
      values.put(i, ring.rank() + i * 1e-6f);
    }
    for (int k = 0; k < WARM_UP_CALLS; k++) {
      ring.allReduceSum(data, Collective.Phase.STEP);
    }
    double[] seconds = new double[iterations + 1];
    ring.barrier(Collective.Phase.STEP);
    long cpu0 = processCpuNanos();
    for (int k = 0; k < iterations; k++) {
      ring.barrier(Collective.Phase.STEP);
      long t0 = System.nanoTime();
      ring.allReduceSum(data, Collective.Phase.STEP);
      seconds[k] = (System.nanoTime() - t0) / 1e9;
    }
    ring.barrier(Collective.Phase.STEP);
    seconds[iterations] = (processCpuNanos() - cpu0) / 1e9 / ring.worldSize() / iterations;
    return seconds;
  }

  private static long processCpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean)
            ManagementFactory.getOperatingSystemMXBean())
        .getProcessCpuTime();
  }


  /**
   * One TCP stream over loopback: a writer thread sends {@code bytes} from a direct buffer, the
   * reader receives them into another, timed until the last byte arrives.
   *
   * @param bestRate bytes per second of the fastest pass
   * @param cpuSeconds mean CPU time of writer plus reader per pass
   */
  record Stream(double bestRate, double cpuSeconds) {}

  static Stream tcpStream(long bytes, int iterations) throws Exception {
    int chunk = (int) Math.min(bytes, 64 << 20);
    ThreadMXBean mx = ManagementFactory.getThreadMXBean();
    ExecutorService pool = Executors.newSingleThreadExecutor();
    try (ServerSocketChannel server = ServerSocketChannel.open()) {
      server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
      try (SocketChannel out = SocketChannel.open(server.getLocalAddress());
          SocketChannel in = server.accept()) {
        ByteBuffer src = ByteBuffer.allocateDirect(chunk);
        ByteBuffer dst = ByteBuffer.allocateDirect(chunk);
        double best = 0;
        long cpu = 0;
        for (int k = 0; k <= iterations; k++) {
          long c0 = mx.getCurrentThreadCpuTime();
          long t0 = System.nanoTime();
          Future<Long> writer = pool.submit(() -> sendAll(out, src, bytes));
          long received = 0;
          while (received < bytes) {
            dst.clear();
            int n = in.read(dst);
            if (n < 0) {
              throw new IOException("loopback stream closed early");
            }
            received += n;
          }
          long writerCpu = writer.get();
          double rate = bytes / ((System.nanoTime() - t0) / 1e9);
          if (k > 0) { // the first pass warms up
            best = Math.max(best, rate);
            cpu += writerCpu + mx.getCurrentThreadCpuTime() - c0;
          }
        }
        return new Stream(best, cpu / 1e9 / iterations);
      }
    } finally {
      pool.shutdownNow();
    }
  }

  /** Sends {@code bytes} and returns the CPU time this took. */
  private static long sendAll(SocketChannel out, ByteBuffer src, long bytes) throws IOException {
    long c0 = ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime();
    ByteBuffer view = src.duplicate();
    long left = bytes;
    while (left > 0) {
      view.clear().limit((int) Math.min(view.capacity(), left));
      while (view.hasRemaining()) {
        left -= out.write(view);
      }
    }
    return ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime() - c0;
  }

  /** Markdown table rows for {@link #run} results. */
  public static String table(List<Result> results) {
    StringBuilder s = new StringBuilder();
    s.append("| W | size | wire | iters | best | median | bus bw | 1-stream TCP | bus/TCP |"
        + " CPU/call/rank | TCP CPU | bus/TCP per CPU-s |\n");
    s.append("|---|---|---|---|---|---|---|---|---|---|---|---|\n");
    for (Result r : results) {
      s.append(
          String.format(
              Locale.ROOT,
              "| %d | %s | %s | %d | %.1f ms | %.1f ms | %.2f GB/s | %.2f GB/s | %.0f%% | %.1f ms"
                  + " | %.1f ms | %.0f%% |%n",
              r.worldSize(),
              size(r.bytes()),
              r.wireDtype(),
              r.iterations(),
              r.bestSeconds() * 1e3,
              r.medianSeconds() * 1e3,
              r.busBandwidth() / 1e9,
              r.tcpBandwidth() / 1e9,
              100 * r.efficiency(),
              r.cpuSecondsPerCall() * 1e3,
              r.tcpCpuSeconds() * 1e3,
              100 * r.cpuEfficiency()));
    }
    return s.toString();
  }

  private static String size(long bytes) {
    return bytes >= (1 << 20) && bytes % (1 << 20) == 0
        ? (bytes >> 20) + " MiB"
        : String.format(Locale.ROOT, "%.1f MB", bytes / 1e6);
  }

  /**
   * Usage: {@code RingBenchmark [--world 2,4] [--mib 1,4,16,64,256] [--floats N] [--iters 5]
   * [--wire fp32|bf16] [--bucket-mib 32] [--channels 1]}. {@code --floats} adds one size given in
   * floats (e.g. 131700000 for a SiT-B/2 gradient).
   */
  public static void main(String[] args) throws Exception {
    int[] worlds = {2, 4};
    List<Long> floats = new ArrayList<>();
    for (int mib : new int[] {1, 4, 16, 64, 256}) {
      floats.add((long) mib << 18);
    }
    boolean sizesGiven = false;
    int iterations = 5;
    RingOptions options = RingOptions.defaults();
    for (int i = 0; i < args.length; i++) {
      String value = i + 1 < args.length ? args[i + 1] : "";
      switch (args[i]) {
        case "--world" -> worlds = Arrays.stream(value.split(",")).mapToInt(Integer::parseInt)
            .toArray();
        case "--mib" -> {
          floats.clear();
          sizesGiven = true;
          for (String v : value.split(",")) {
            floats.add(Long.parseLong(v) << 18);
          }
        }
        case "--floats" -> {
          if (!sizesGiven) {
            floats.clear();
            sizesGiven = true;
          }
          floats.add(Long.parseLong(value));
        }
        case "--iters" -> iterations = Integer.parseInt(value);
        case "--wire" -> options =
            options.withWireDtype(RingOptions.WireDtype.valueOf(value.toUpperCase(Locale.ROOT)));
        case "--bucket-mib" -> options = options.withBucketBytes(Integer.parseInt(value) << 20);
        case "--channels" -> options = options.withChannels(Integer.parseInt(value));
        default -> throw new IllegalArgumentException(
            "unknown argument '" + args[i] + "'; see RingBenchmark's javadoc");
      }
      i++;
    }
    List<Result> results = new ArrayList<>();
    System.out.println(
        "ring all-reduce on 127.0.0.1, bucket " + (options.bucketBytes() >> 20) + " MiB, "
            + options.channels() + " channel(s), "
            + Runtime.getRuntime().availableProcessors() + " cores");
    for (long n : floats) {
      for (int w : worlds) {
        Result r = run(w, Math.toIntExact(n), iterations, options);
        results.add(r);
        System.out.print(table(List.of(r)).lines().skip(2).findFirst().orElse("") + "\n");
      }
    }
    System.out.println();
    System.out.print(table(results));
  }

}
