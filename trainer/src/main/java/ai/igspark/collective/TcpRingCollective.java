package ai.igspark.collective;

import ai.igspark.data.InvalidInputException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

/**
 * Bucketed ring all-reduce (reduce-scatter, then all-gather) over java.nio TCP
 * (docs/ARCHITECTURE.md §4, §9.1 and §9.2).
 *
 * <p>Rank r connects to its right neighbour r+1 and accepts its left neighbour r−1 on its own
 * listener. Every connection is authenticated by a challenge–response handshake: an HMAC-SHA256,
 * under the application's secret, over the run id, segment, attempt nonce, ranks and ring options.
 * Anything else that reaches the listener (stray clients, old attempts, random bytes, silent
 * connections) is dropped without disturbing the ring; once the ring is up the listener is closed.
 *
 * <p>Each bucket of {@code n} floats is cut into W chunks (the first {@code n mod W} one float
 * longer). In reduce-scatter step s, rank r sends chunk r−s and adds the incoming chunk r−s−1 to
 * its own, in place, as data[c] = incoming + data[c], so chunk c is summed in the fixed order
 * x_c + x_{c+1} + … + x_{c−1} (ranks mod W), accumulated in fp32. All-gather then forwards the
 * owner's encoded bytes unchanged, so every rank ends with bitwise-identical values. On an fp32
 * wire a direct little-endian buffer is reduced without staging copies: chunks are sent from it
 * and gathered into it directly ({@link #allReduceSum(ByteBuffer, Phase)}); a bf16 wire uses
 * {@link Bf16Blocks}. Every ring step has a deadline, and any failure closes the sockets so the
 * neighbours fail at once instead of waiting for their own deadlines.
 *
 * <p>With {@link RingOptions#channels()} = K > 1, K such rings ("lanes") run side by side, each
 * over its own connections and thread, lane c reducing part c of the buffer (parts cut like
 * chunks); the order of every sum stays fixed.
 *
 * <p>The layers, from the wire up: {@link RingHandshake} authenticates one connection, {@link
 * RingConnector} listens, accepts and connects under the connect deadline, {@link DuplexExchange}
 * moves one ring step's bytes both ways under a selector, {@link LaneSchedule} orders a bucket's
 * steps, {@link WireCodec} encodes and reduces the chunks, and {@link RingLane} runs one lane.
 * This class fans a call out over the lanes and keeps the ring's failure state.
 *
 * <p>Use: the rendezvous binds a {@link ServerSocketChannel} per rank, exchanges the addresses,
 * then every rank calls {@link #connect}; the training loop calls {@link #allReduceSum} with the
 * same lengths on every rank, and {@link #close} at the end of the segment.
 */
public final class TcpRingCollective implements Collective {

  /**
   * Who may join this ring: connections carrying anything else are refused.
   *
   * @param runId the training run
   * @param segment the checkpoint segment this barrier stage trains
   * @param attemptNonce unique per stage attempt, so zombie tasks of an older attempt cannot join
   */
  public record Session(String runId, long segment, String attemptNonce) {
    public Session {
      Objects.requireNonNull(runId, "runId");
      Objects.requireNonNull(attemptNonce, "attemptNonce");
      if (runId.getBytes(StandardCharsets.UTF_8).length > Handshake.MAX_TEXT_BYTES
          || attemptNonce.getBytes(StandardCharsets.UTF_8).length > Handshake.MAX_TEXT_BYTES) {
        throw new IllegalArgumentException(
            "run id and attempt nonce must each fit in " + Handshake.MAX_TEXT_BYTES + " bytes");
      }
    }
  }

  /**
   * The ring protocol's identity and size limits, shared by both ends of a connection; the
   * handshake itself is {@link RingHandshake}.
   */
  static final class Handshake {
    static final byte[] MAGIC = "IGSPRING".getBytes(StandardCharsets.US_ASCII);
    /** 2: the bf16 wire packs full blocks as paired ints (Bf16Blocks); 1 sent plain shorts. */
    static final int VERSION = 2;
    static final int CHALLENGE_BYTES = 32;
    static final int MAC_BYTES = 32;
    static final int MAX_TEXT_BYTES = 1024;
    static final int MAX_BODY_BYTES = 4 * MAX_TEXT_BYTES;

    private Handshake() {}
  }

  private static final System.Logger LOG = System.getLogger(TcpRingCollective.class.getName());

  /** Longest a wait goes without checking whether the task was cancelled. */
  static final long CANCEL_POLL_MILLIS = 200;

  private final int rank;
  private final int worldSize;
  private final Session session;
  private final RingOptions options;
  private final RingLane[] lanes;
  /** Runs lanes 1..K−1 (lane 0 runs on the caller's thread); null with one lane. */
  private final ExecutorService laneThreads;
  private long calls;
  private volatile boolean closed;
  private volatile CollectiveException failure;

  private TcpRingCollective(
      int rank, int worldSize, Session session, RingOptions options, RingLane[] lanes) {
    this.rank = rank;
    this.worldSize = worldSize;
    this.session = session;
    this.options = options;
    this.lanes = lanes;
    if (lanes.length > 1) {
      AtomicInteger threads = new AtomicInteger(1);
      laneThreads =
          Executors.newFixedThreadPool(
              lanes.length - 1,
              task -> {
                Thread t = new Thread(task, "ring-r" + rank + "-lane-" + threads.getAndIncrement());
                t.setDaemon(true);
                return t;
              });
    } else {
      laneThreads = null;
    }
  }

  /**
   * Connects the ring: blocks until this rank is linked to both neighbours or the connect deadline
   * passes. Every rank of the ring calls this at about the same time.
   *
   * @param rank this rank
   * @param addresses the listener address of every rank, indexed by rank
   * @param listener this rank's bound listener (its address is {@code addresses.get(rank)}); this
   *     collective takes it over and closes it once the ring is connected. May be null when the
   *     world size is 1.
   * @param secret the per-application secret that authenticates ring connections; copied, never
   *     logged
   */
  public static TcpRingCollective connect(
      int rank,
      List<InetSocketAddress> addresses,
      ServerSocketChannel listener,
      Session session,
      byte[] secret,
      RingOptions options) {
    return connect(rank, addresses, listener, session, secret, options, () -> false);
  }

  /**
   * As above; every wait (connecting, and each ring step) also ends within {@value
   * #CANCEL_POLL_MILLIS} ms of {@code cancelled} turning true, failing this rank. Spark kills the
   * surviving tasks of a failed barrier stage without interrupting them, so a rank waiting for a
   * dead neighbour would otherwise hold its task slot until its own deadline.
   */
  public static TcpRingCollective connect(
      int rank,
      List<InetSocketAddress> addresses,
      ServerSocketChannel listener,
      Session session,
      byte[] secret,
      RingOptions options,
      BooleanSupplier cancelled) {
    Objects.requireNonNull(session, "session");
    Objects.requireNonNull(cancelled, "cancelled");
    Objects.requireNonNull(options, "options");
    int worldSize = addresses.size();
    if (rank < 0 || rank >= worldSize) {
      throw new IllegalArgumentException("rank " + rank + " outside a ring of " + worldSize);
    }
    if (worldSize == 1) {
      closeQuietly(listener);
      return new TcpRingCollective(rank, 1, session, options, new RingLane[0]);
    }
    Objects.requireNonNull(listener, "listener");
    RingHandshake handshake = new RingHandshake(rank, worldSize, session, options, secret);
    InetSocketAddress right = addresses.get((rank + 1) % worldSize);
    InetSocketAddress left = addresses.get((rank + worldSize - 1) % worldSize);
    SocketChannel[][] links;
    try {
      links = new RingConnector(handshake, cancelled).establish(
          listener, right, options.connectDeadline());
    } finally {
      closeQuietly(listener);
    }
    DuplexExchange.Neighbours neighbours =
        new DuplexExchange.Neighbours(
            (rank + worldSize - 1) % worldSize, left, (rank + 1) % worldSize, right);
    RingLane[] lanes = RingLane.openAll(rank, worldSize, options, links, neighbours, cancelled);
    LOG.log(System.Logger.Level.INFO,
        "ring connected: rank {0} of {1}, right {2}, left {3}, {4} channel(s)",
        rank, worldSize, right, left, links.length);
    return new TcpRingCollective(rank, worldSize, session, options, lanes);
  }

  /** Parses "host:port" entries (IPv6 as "[::1]:port"); a bad entry is named in the error. */
  public static List<InetSocketAddress> parseAddresses(List<String> hostPorts) {
    List<InetSocketAddress> out = new ArrayList<>(hostPorts.size());
    for (int i = 0; i < hostPorts.size(); i++) {
      String s = hostPorts.get(i);
      int colon = s == null ? -1 : s.lastIndexOf(':');
      if (colon <= 0 || colon == s.length() - 1) {
        throw new InvalidInputException(
            "ring address of rank " + i + ": expected host:port, got '" + s + "'");
      }
      String host = s.substring(0, colon);
      if (host.startsWith("[") && host.endsWith("]")) {
        host = host.substring(1, host.length() - 1);
      }
      int port;
      try {
        port = Integer.parseInt(s.substring(colon + 1));
      } catch (NumberFormatException e) {
        port = -1;
      }
      if (port < 1 || port > 65535) {
        throw new InvalidInputException(
            "ring address of rank " + i + ": expected a port in 1..65535, got '" + s + "'");
      }
      InetSocketAddress address = new InetSocketAddress(host, port);
      if (address.isUnresolved()) {
        throw new InvalidInputException(
            "ring address of rank " + i + ": cannot resolve host '" + host + "'");
      }
      out.add(address);
    }
    return out;
  }

  @Override
  public int rank() {
    return rank;
  }

  @Override
  public int worldSize() {
    return worldSize;
  }

  public RingOptions options() {
    return options;
  }

  /**
   * {@inheritDoc}
   *
   * <p>The floats are copied through a direct buffer bucket by bucket; {@link
   * #allReduceSum(ByteBuffer, Phase)} on a direct little-endian buffer avoids those copies.
   */
  @Override
  public void allReduceSum(FloatBuffer data, Phase phase) {
    checkUsable(data.isReadOnly());
    run(new RingLane.Region(null, data, data.position(), data.remaining()), phase);
  }

  /**
   * {@inheritDoc}
   *
   * <p>A direct little-endian buffer (DJL's {@code toByteBuffer(true)} on x86 and ARM) is the
   * fast path: sends go straight from it, received values straight into it, and sums are added
   * in place. Other buffers are copied through a direct buffer bucket by bucket.
   */
  @Override
  public void allReduceSum(ByteBuffer data, Phase phase) {
    checkUsable(data.isReadOnly());
    if (data.remaining() % 4 != 0) {
      throw new IllegalArgumentException(
          "all-reduce needs whole floats, got " + data.remaining() + " bytes");
    }
    int n = data.remaining() / 4;
    if (data.isDirect() && data.order() == ByteOrder.LITTLE_ENDIAN) {
      run(new RingLane.Region(data.slice().order(ByteOrder.LITTLE_ENDIAN), null, 0, n), phase);
    } else {
      FloatBuffer floats = data.duplicate().order(data.order()).asFloatBuffer();
      run(new RingLane.Region(null, floats, 0, n), phase);
    }
  }

  private void checkUsable(boolean readOnly) {
    if (failure != null) {
      throw new CollectiveException(
          "rank " + rank + ": ring failed earlier: " + failure.getMessage(), failure);
    }
    if (closed) {
      throw new CollectiveException("rank " + rank + ": ring is closed");
    }
    if (readOnly) {
      throw new IllegalArgumentException("all-reduce needs a writable buffer, got a read-only one");
    }
  }

  private void run(RingLane.Region data, Phase phase) {
    if (worldSize == 1) {
      return;
    }
    DuplexExchange.Call call = new DuplexExchange.Call(calls, phase, options.deadline(phase));
    try {
      if (lanes.length == 1) {
        lanes[0].allReduce(data, call);
      } else {
        allReduceOnLanes(data, call);
      }
      calls++;
    } catch (CollectiveException e) {
      throw fail(e);
    } catch (IOException | RuntimeException | InterruptedException e) {
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
      throw fail(
          new CollectiveException(
              "rank " + rank + ": ring all-reduce failed (" + phase + " phase, call #" + calls
                  + "): " + e,
              e));
    }
  }

  /** Lane c reduces part c of the buffer (parts cut like chunks); the first failure stops all. */
  private void allReduceOnLanes(RingLane.Region data, DuplexExchange.Call call)
      throws IOException, InterruptedException {
    int k = lanes.length;
    List<Future<Void>> others = new ArrayList<>(k - 1);
    for (int c = 1; c < k; c++) {
      RingLane lane = lanes[c];
      RingLane.Region part = data.part(c, k);
      others.add(
          laneThreads.submit(
              () -> {
                lane.allReduce(part, call);
                return null;
              }));
    }
    Exception first = null;
    try {
      lanes[0].allReduce(data.part(0, k), call);
    } catch (IOException | RuntimeException e) {
      first = e;
      closeLanes(); // the other lanes' neighbours see the close and fail at once
    }
    for (Future<Void> f : others) {
      try {
        f.get();
      } catch (ExecutionException e) {
        if (first == null) {
          first = e.getCause() instanceof Exception cause ? cause : e;
          closeLanes();
        }
      }
    }
    if (first instanceof IOException io) {
      throw io;
    }
    if (first instanceof RuntimeException re) {
      throw re;
    }
  }

  private void closeLanes() {
    for (RingLane lane : lanes) {
      lane.close();
    }
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    closeLanes();
    if (laneThreads != null) {
      laneThreads.shutdownNow();
    }
  }

  @Override
  public String toString() {
    return "TcpRingCollective[rank " + rank + " of " + worldSize + ", run " + session.runId()
        + ", segment " + session.segment() + ", " + options.wireDtype()
        + (lanes.length > 1 ? ", " + lanes.length + " channels" : "")
        + (closed ? ", closed" : "") + "]";
  }

  private CollectiveException fail(CollectiveException e) {
    failure = e;
    close();
    return e;
  }

  /** Chunk c of a bucket of {@code len} floats: the first {@code len mod W} chunks get one more. */
  static int chunkStart(int len, int c, int w) {
    return c * (len / w) + Math.min(c, len % w);
  }

  static int chunkLength(int len, int c, int w) {
    return len / w + (c < len % w ? 1 : 0);
  }

  static void closeQuietly(AutoCloseable c) {
    if (c == null) {
      return;
    }
    try {
      c.close();
    } catch (Exception ignored) {
      // closing after a failure: nothing more to report
    }
  }

  /** bfloat16 conversion: the upper 16 bits of an fp32, rounded to nearest even. */
  static final class Bf16 {
    private Bf16() {}

    static short fromFloat(float f) {
      int bits = Float.floatToRawIntBits(f);
      if ((bits & 0x7fffffff) > 0x7f800000) {
        return (short) ((bits >>> 16) | 0x0040); // NaN stays a (quiet) NaN
      }
      int roundingBias = 0x7fff + ((bits >>> 16) & 1);
      return (short) ((bits + roundingBias) >>> 16);
    }

    static float toFloat(short b) {
      return Float.intBitsToFloat((b & 0xffff) << 16);
    }
  }
}
