package ai.igspark.collective;

import ai.igspark.data.InvalidInputException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.nio.ShortBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

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
 * {@link Bf16Blocks}. One thread drives both sockets, non-blocking, under a {@link Selector};
 * every ring step has a deadline, and any failure closes the sockets so the neighbours fail at
 * once instead of waiting for their own deadlines.
 *
 * <p>With {@link RingOptions#channels()} = K > 1, K such rings ("lanes") run side by side, each
 * over its own connections and thread, lane c reducing part c of the buffer (parts cut like
 * chunks); the order of every sum stays fixed.
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

  private static final System.Logger LOG = System.getLogger(TcpRingCollective.class.getName());

  /** Incoming bytes are reduced in slices of at least this size while the rest still arrives. */
  private static final int REDUCE_SLICE_BYTES = 64 << 10;

  /** Reduce-scatter receive buffer per lane: a few slices, so it stays in the core's cache. */
  private static final int STAGING_BYTES = 256 << 10;

  /** Floats per bulk copy in the reduction loop: two such arrays fit in a core's L1 cache. */
  private static final int SCRATCH_FLOATS = 2048;

  /** Longest a wait goes without checking whether the task was cancelled. */
  static final long CANCEL_POLL_MILLIS = 200;

  private final BooleanSupplier cancelled;
  private final int rank;
  private final int worldSize;
  private final Session session;
  private final RingOptions options;
  private final InetSocketAddress rightAddress;
  private final InetSocketAddress leftAddress;
  private final int wireBytes;
  private final int bucketFloats;
  private final Lane[] lanes;
  /** Runs lanes 1..K−1 (lane 0 runs on the caller's thread); null with one lane. */
  private final ExecutorService laneThreads;
  private long calls;
  private volatile boolean closed;
  private volatile CollectiveException failure;

  private TcpRingCollective(
      int rank,
      int worldSize,
      Session session,
      RingOptions options,
      InetSocketAddress rightAddress,
      InetSocketAddress leftAddress,
      SocketChannel[][] links,
      BooleanSupplier cancelled)
      throws IOException {
    this.cancelled = cancelled;
    this.rank = rank;
    this.worldSize = worldSize;
    this.session = session;
    this.options = options;
    this.rightAddress = rightAddress;
    this.leftAddress = leftAddress;
    this.wireBytes = options.wireDtype().bytes();
    this.bucketFloats = options.bucketBytes() / 4;
    this.lanes = new Lane[links == null ? 0 : links.length];
    for (int c = 0; c < lanes.length; c++) {
      lanes[c] = new Lane(c, links[c][0], links[c][1]);
    }
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

  /** Socket buffers stay kernel-tuned: fixed 1–4 MiB buffers measured no better on loopback. */
  private static void tune(SocketChannel ch) throws IOException {
    ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
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
      try {
        return new TcpRingCollective(rank, 1, session, options, null, null, null, cancelled);
      } catch (IOException e) {
        throw new CollectiveException("cannot create a ring of one", e);
      }
    }
    Objects.requireNonNull(listener, "listener");
    Handshake handshake = new Handshake(rank, worldSize, session, options, secret, cancelled);
    InetSocketAddress right = addresses.get((rank + 1) % worldSize);
    InetSocketAddress left = addresses.get((rank + worldSize - 1) % worldSize);
    SocketChannel[][] links;
    try {
      links = handshake.establish(listener, right, options.connectDeadline());
    } finally {
      closeQuietly(listener);
    }
    try {
      TcpRingCollective ring =
          new TcpRingCollective(rank, worldSize, session, options, right, left, links, cancelled);
      LOG.log(
          System.Logger.Level.INFO,
          "ring connected: rank {0} of {1}, right {2}, left {3}, {4} channel(s)",
          rank,
          worldSize,
          right,
          left,
          links.length);
      return ring;
    } catch (IOException e) {
      for (SocketChannel[] pair : links) {
        closeQuietly(pair[0]);
        closeQuietly(pair[1]);
      }
      throw new CollectiveException("rank " + rank + ": cannot set up the ring selector", e);
    }
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
    run(null, data, data.position(), data.remaining(), phase);
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
      run(data.slice().order(ByteOrder.LITTLE_ENDIAN), null, 0, n, phase);
    } else {
      run(null, data.duplicate().order(data.order()).asFloatBuffer(), 0, n, phase);
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

  /**
   * All-reduces floats {@code [base, base+n)} of {@code direct} (a direct little-endian buffer,
   * float 0 at index 0) or, when it is null, of {@code floats}.
   */
  private void run(ByteBuffer direct, FloatBuffer floats, int base, int n, Phase phase) {
    if (worldSize == 1) {
      return;
    }
    Duration deadline = options.deadline(phase);
    try {
      if (lanes.length == 1) {
        lanes[0].allReduce(direct, floats, base, n, phase, deadline);
      } else {
        allReduceOnLanes(direct, floats, base, n, phase, deadline);
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
  private void allReduceOnLanes(
      ByteBuffer direct, FloatBuffer floats, int base, int n, Phase phase, Duration deadline)
      throws IOException, InterruptedException {
    int k = lanes.length;
    List<Future<Void>> others = new ArrayList<>(k - 1);
    for (int c = 1; c < k; c++) {
      Lane lane = lanes[c];
      int start = base + chunkStart(n, c, k);
      int length = chunkLength(n, c, k);
      others.add(
          laneThreads.submit(
              () -> {
                lane.allReduce(direct, floats, start, length, phase, deadline);
                return null;
              }));
    }
    Exception first = null;
    try {
      lanes[0].allReduce(direct, floats, base, chunkLength(n, 0, k), phase, deadline);
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
    for (Lane lane : lanes) {
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
    return "TcpRingCollective[rank "
        + rank
        + " of "
        + worldSize
        + ", run "
        + session.runId()
        + ", segment "
        + session.segment()
        + ", "
        + options.wireDtype()
        + (lanes.length > 1 ? ", " + lanes.length + " channels" : "")
        + (closed ? ", closed" : "")
        + "]";
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

  private int chunkStart(int len, int c) {
    return chunkStart(len, c, worldSize);
  }

  private int chunkLength(int len, int c) {
    return chunkLength(len, c, worldSize);
  }

  /**
   * One ring over its own pair of connections, driven by one thread: reduces a contiguous part of
   * each call's buffer. Several lanes run side by side when {@link RingOptions#channels()} > 1.
   *
   * <p>With an fp32 wire the lane works in place on a direct little-endian view of the data: each
   * chunk is sent straight from the data, all-gather receives straight into it, and reduce-scatter
   * receives into {@link #staging}, a small buffer reused cyclically, whose floats are added into
   * the data as they arrive, while still in cache. A bf16 wire needs two chunk-sized buffers for
   * the encoded values it forwards.
   */
  private final class Lane implements AutoCloseable {
    private final int index;
    private final SocketChannel toRight;
    private final SocketChannel fromLeft;
    private final Selector selector;
    private final SelectionKey writeKey;
    private final SelectionKey readKey;
    private final ByteBuffer staging =
        ByteBuffer.allocateDirect(STAGING_BYTES).order(ByteOrder.LITTLE_ENDIAN);
    private final FloatBuffer stagingFloats = staging.asFloatBuffer();
    private final ShortBuffer stagingShorts = staging.asShortBuffer();
    private final IntBuffer stagingInts = staging.asIntBuffer();
    // The reduction runs on arrays: bulk copies in and out, and a plain loop between them that the
    // JIT vectorises (per-element FloatBuffer get/put measured 30–50% slower).
    private final float[] incoming = new float[SCRATCH_FLOATS];
    private final float[] own = new float[SCRATCH_FLOATS];
    // bf16 wire only: "being sent" and "being filled" chunks, swapped after every step.
    private final Bf16Blocks bf16 = wireBytes == 2 ? new Bf16Blocks() : null;
    private final ByteBuffer[] wire = new ByteBuffer[2];
    private final ShortBuffer[] wireShorts = new ShortBuffer[2];
    private final IntBuffer[] wireInts = new IntBuffer[2];
    /** Data that is not a direct little-endian buffer is copied through this, bucket by bucket. */
    private ByteBuffer bounce;
    private FloatBuffer bounceFloats;
    // Views of the data being reduced, made once per call (sends and receives move their own
    // position and limit; the floats view indexes the data from its start).
    private ByteBuffer sendView;
    private ByteBuffer recvView;
    private FloatBuffer dataFloats;
    private IntBuffer dataInts;
    private final ByteBuffer headerOut = ByteBuffer.allocateDirect(16);
    private final ByteBuffer headerIn = ByteBuffer.allocateDirect(16);

    Lane(int index, SocketChannel toRight, SocketChannel fromLeft) throws IOException {
      this.index = index;
      this.toRight = toRight;
      this.fromLeft = fromLeft;
      tune(toRight);
      tune(fromLeft);
      selector = Selector.open();
      writeKey = toRight.register(selector, 0);
      readKey = fromLeft.register(selector, 0);
    }

    private String who() {
      return lanes.length == 1 ? "rank " + rank : "rank " + rank + " lane " + index;
    }

    /**
     * All-reduces floats {@code [base, base+n)} of {@code direct} (a direct little-endian buffer
     * whose index 0 is float 0), or, when that is null, of {@code floats} through the bounce
     * buffer.
     */
    void allReduce(
        ByteBuffer direct, FloatBuffer floats, int base, int n, Phase phase, Duration deadline)
        throws IOException {
      exchangeHeader(n, phase, deadline);
      if (n == 0) {
        return;
      }
      if (direct == null) {
        ensureBounce(Math.min(bucketFloats, n));
        use(bounce);
      } else {
        use(direct);
      }
      for (int start = 0; start < n; start += bucketFloats) {
        int len = Math.min(bucketFloats, n - start);
        if (direct != null) {
          reduceBucket(base + start, len, phase, deadline);
        } else {
          bounceFloats.put(0, floats, base + start, len);
          reduceBucket(0, len, phase, deadline);
          floats.put(base + start, bounceFloats, 0, len);
        }
      }
    }

    private void use(ByteBuffer region) {
      sendView = region.duplicate();
      recvView = region.duplicate();
      dataFloats = region.duplicate().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
      dataInts = region.duplicate().order(ByteOrder.LITTLE_ENDIAN).asIntBuffer();
    }

    private void ensureBounce(int floats) {
      if (bounce == null || bounce.capacity() < 4 * floats) {
        bounce = ByteBuffer.allocateDirect(4 * floats).order(ByteOrder.LITTLE_ENDIAN);
        bounceFloats = bounce.asFloatBuffer();
      }
    }

    /** Closing the selector first wakes a thread blocked in it, so it fails at once. */
    @Override
    public void close() {
      closeQuietly(selector);
      closeQuietly(toRight);
      closeQuietly(fromLeft);
    }

    /** Every call starts by checking that both neighbours run the same call on the same length. */
    private void exchangeHeader(int n, Phase phase, Duration deadline) throws IOException {
      headerOut.clear();
      headerOut.putLong(calls).putLong(n).flip();
      headerIn.clear();
      exchange(headerOut, headerIn, 16, Stage.HEADER, 0, -1, phase, deadline, "start");
      long leftCall = headerIn.getLong(0);
      long leftN = headerIn.getLong(8);
      if (leftCall != calls || leftN != n) {
        throw new CollectiveException(
            who()
                + " all-reduces "
                + n
                + " floats in call #"
                + calls
                + " but its left neighbour rank "
                + left()
                + " all-reduces "
                + leftN
                + " floats in call #"
                + leftCall
                + ": every rank must make the same calls with the same lengths");
      }
    }

    private enum Stage {
      HEADER,
      REDUCE,
      REDUCE_LAST,
      GATHER
    }

    /** Reduces floats {@code [off, off+len)} of the data. */
    private void reduceBucket(int off, int len, Phase phase, Duration deadline)
        throws IOException {
      if (wireBytes == 2) {
        reduceBucketBf16(off, len, phase, deadline);
        return;
      }
      int w = worldSize;
      // Reduce-scatter: after W−1 steps this rank owns the full sum of chunk r+1.
      for (int s = 0; s < w - 1; s++) {
        int sendChunk = Math.floorMod(rank - s, w);
        int recvChunk = Math.floorMod(rank - s - 1, w);
        exchange(
            chunk(sendView, off, len, sendChunk),
            staging,
            4 * chunkLength(len, recvChunk),
            Stage.REDUCE,
            off + chunkStart(len, recvChunk),
            -1,
            phase,
            deadline,
            "reduce-scatter step " + (s + 1) + "/" + (w - 1));
      }
      // All-gather: forward the owned chunk and every chunk received, bytes unchanged.
      for (int s = 0; s < w - 1; s++) {
        int sendChunk = Math.floorMod(rank + 1 - s, w);
        int recvChunk = Math.floorMod(rank - s, w);
        ByteBuffer in = chunk(recvView, off, len, recvChunk);
        exchange(
            chunk(sendView, off, len, sendChunk),
            in,
            in.remaining(),
            Stage.GATHER,
            0,
            -1,
            phase,
            deadline,
            "all-gather step " + (s + 1) + "/" + (w - 1));
      }
    }

    /** {@code view} limited to the bytes of chunk c of the bucket at float {@code off}. */
    private ByteBuffer chunk(ByteBuffer view, int off, int len, int c) {
      int start = 4 * (off + chunkStart(len, c));
      view.clear().position(start).limit(start + 4 * chunkLength(len, c));
      return view;
    }

    private void reduceBucketBf16(int off, int len, Phase phase, Duration deadline)
        throws IOException {
      int w = worldSize;
      ensureWire(len / w + 1);
      int send = 0;
      int next = 1;
      int own = chunkLength(len, rank);
      bf16.encode(dataInts, off + chunkStart(len, rank), 0, own, own, wireInts[send],
          wireShorts[send]);
      for (int s = 0; s < w - 1; s++) {
        int sendChunk = Math.floorMod(rank - s, w);
        int recvChunk = Math.floorMod(rank - s - 1, w);
        wire[send].clear().limit(2 * chunkLength(len, sendChunk));
        exchange(
            wire[send],
            staging,
            2 * chunkLength(len, recvChunk),
            s == w - 2 ? Stage.REDUCE_LAST : Stage.REDUCE,
            off + chunkStart(len, recvChunk),
            next,
            phase,
            deadline,
            "reduce-scatter step " + (s + 1) + "/" + (w - 1));
        int t = send;
        send = next;
        next = t;
      }
      // All-gather: forward the owner's encoded bytes unchanged, decoding them as they arrive.
      for (int s = 0; s < w - 1; s++) {
        int sendChunk = Math.floorMod(rank + 1 - s, w);
        int recvChunk = Math.floorMod(rank - s, w);
        wire[send].clear().limit(2 * chunkLength(len, sendChunk));
        wire[next].clear().limit(2 * chunkLength(len, recvChunk));
        exchange(
            wire[send],
            wire[next],
            wire[next].remaining(),
            Stage.GATHER,
            off + chunkStart(len, recvChunk),
            next,
            phase,
            deadline,
            "all-gather step " + (s + 1) + "/" + (w - 1));
        int t = send;
        send = next;
        next = t;
      }
    }

    private void ensureWire(int elements) {
      int bytes = 2 * Math.min(elements, (bucketFloats + worldSize - 1) / worldSize + 1);
      if (wire[0] != null && wire[0].capacity() >= bytes) {
        return;
      }
      for (int i = 0; i < 2; i++) {
        wire[i] = ByteBuffer.allocateDirect(bytes).order(ByteOrder.LITTLE_ENDIAN);
        wireShorts[i] = wire[i].asShortBuffer();
        wireInts[i] = wire[i].asIntBuffer();
      }
    }

    /**
     * Sends {@code out} to the right neighbour while receiving {@code inBytes} from the left one.
     * All-gather (fp32) and the header receive straight into {@code in}; reduce-scatter receives
     * into {@code in} = {@link #staging} and reduces what arrived whenever a slice is there or the
     * staging is full; bf16 all-gather decodes {@code in} into the data as it arrives.
     *
     * @param at data index of the incoming chunk's first element
     * @param bf16Wire bf16 only: the wire buffer where reduce-scatter puts its sums, or that
     *     all-gather receives into; −1 on an fp32 wire
     */
    private void exchange(
        ByteBuffer out,
        ByteBuffer in,
        int inBytes,
        Stage stage,
        int at,
        int bf16Wire,
        Phase phase,
        Duration deadline,
        String step)
        throws IOException {
      long deadlineNanos = System.nanoTime() + deadline.toNanos();
      boolean staged = stage == Stage.REDUCE || stage == Stage.REDUCE_LAST;
      boolean decoding = stage == Stage.GATHER && bf16Wire >= 0;
      int outBytes = out.remaining();
      int received = 0;
      int done = 0; // elements reduced or decoded
      if (staged) {
        in.clear();
      }
      while (out.hasRemaining() || received < inBytes) {
        boolean moved = false;
        if (out.hasRemaining() && toRight.write(out) > 0) {
          moved = true;
        }
        if (received < inBytes) {
          if (staged) {
            in.limit(Math.min(in.capacity(), in.position() + inBytes - received));
          }
          int k = fromLeft.read(in);
          if (k < 0) {
            throw new CollectiveException(
                who()
                    + ": left neighbour rank "
                    + left()
                    + " ("
                    + leftAddress
                    + ") closed the connection during "
                    + step
                    + " (received "
                    + received
                    + " of "
                    + inBytes
                    + " bytes); it failed or was stopped");
          }
          if (k > 0) {
            moved = true;
            received += k;
            boolean all = received == inBytes;
            if (staged) {
              if (all || !in.hasRemaining() || in.position() >= REDUCE_SLICE_BYTES) {
                done += reduceStaged(stage, at, done, inBytes / wireBytes, bf16Wire);
              }
            } else if (decoding) {
              int ready = Bf16Blocks.ready(inBytes / 2, received / 2);
              if (all || 2 * (ready - done) >= REDUCE_SLICE_BYTES) {
                bf16.decode(wireInts[bf16Wire], wireShorts[bf16Wire], done, ready, inBytes / 2,
                    dataInts, at);
                done = ready;
              }
            }
          }
        }
        if (!moved) {
          long remaining = deadlineNanos - System.nanoTime();
          if (remaining <= 0) {
            throw timeout(out.position() - (out.limit() - outBytes), outBytes, received, inBytes,
                phase, deadline, step);
          }
          if (Thread.currentThread().isInterrupted() || cancelled.getAsBoolean()) {
            throw new CollectiveException(who() + ": cancelled during " + step);
          }
          int writeOps = out.hasRemaining() ? SelectionKey.OP_WRITE : 0;
          int readOps = received < inBytes ? SelectionKey.OP_READ : 0;
          if (writeKey.interestOps() != writeOps) {
            writeKey.interestOps(writeOps);
          }
          if (readKey.interestOps() != readOps) {
            readKey.interestOps(readOps);
          }
          selector.select(
              Math.max(1, Math.min(CANCEL_POLL_MILLIS, (remaining + 999_999) / 1_000_000)));
          selector.selectedKeys().clear();
        }
      }
    }

    /**
     * Reduces the elements that arrived in {@link #staging} (elements {@code done..} of a chunk of
     * {@code m} whose element 0 is data index {@code at}), keeps the bytes of an incomplete
     * element or bf16 block for the next read, and returns how many elements it reduced.
     */
    private int reduceStaged(Stage stage, int at, int done, int m, int bf16Wire) {
      int bytes = staging.position();
      int k;
      if (wireBytes == 4) {
        k = bytes / 4;
        addInto(at + done, k);
      } else {
        k = Bf16Blocks.ready(m, done + bytes / 2) - done;
        bf16.reduce(stagingInts, stagingShorts, done, done + k, m, dataFloats, dataInts, at,
            wireInts[bf16Wire], wireShorts[bf16Wire], stage == Stage.REDUCE_LAST);
      }
      staging.limit(bytes).position(k * wireBytes);
      staging.compact();
      return k;
    }

    /**
     * data[at+i] = staging[i] + data[at+i] for i < k: the partial sum of the ranks to the left,
     * plus this rank's value (the fixed order of the class comment).
     */
    private void addInto(int at, int k) {
      for (int i = 0; i < k; i += SCRATCH_FLOATS) {
        int m = Math.min(SCRATCH_FLOATS, k - i);
        stagingFloats.get(i, incoming, 0, m);
        dataFloats.get(at + i, own, 0, m);
        for (int j = 0; j < m; j++) {
          own[j] = incoming[j] + own[j];
        }
        dataFloats.put(at + i, own, 0, m);
      }
    }

    private DeadlineExceededException timeout(
        int sent,
        int outBytes,
        int received,
        int inBytes,
        Phase phase,
        Duration deadline,
        String step) {
      String what;
      if (received < inBytes) {
        what =
            "left neighbour rank "
                + left()
                + " ("
                + leftAddress
                + ") sent "
                + received
                + " of "
                + inBytes
                + " bytes";
      } else {
        what =
            "right neighbour rank "
                + right()
                + " ("
                + rightAddress
                + ") accepted "
                + sent
                + " of "
                + outBytes
                + " bytes";
      }
      return new DeadlineExceededException(
          who()
              + ": "
              + what
              + " within the "
              + phase
              + " deadline of "
              + deadline
              + " during "
              + step
              + " of call #"
              + calls
              + "; the peer is dead, stuck or slower than the deadline allows",
          deadline);
    }
  }

  private int left() {
    return (rank + worldSize - 1) % worldSize;
  }

  private int right() {
    return (rank + 1) % worldSize;
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

  /**
   * Connects a rank to both neighbours with a mutually authenticated handshake.
   *
   * <pre>
   * acceptor → connector  MAGIC, VERSION, server challenge (32 random bytes)
   * connector → acceptor  MAGIC, VERSION, body length, body,
   *                       HMAC("client" ‖ server challenge ‖ body)
   *                       body = run id, segment, attempt nonce, rank, world size, wire dtype,
   *                              bucket bytes, client challenge (32 random bytes)
   * acceptor → connector  MAGIC,
   *                       HMAC("server" ‖ client challenge ‖ server challenge ‖ body)
   * </pre>
   *
   * Fresh challenges on both sides make a recorded handshake useless. The acceptor drops any
   * connection that fails a check and keeps accepting until its left neighbour has joined; the
   * connector fails if its right neighbour refuses it or cannot prove it knows the secret.
   */
  static final class Handshake {
    static final byte[] MAGIC = "IGSPRING".getBytes(StandardCharsets.US_ASCII);
    /** 2: the bf16 wire packs full blocks as paired ints (Bf16Blocks); 1 sent plain shorts. */
    static final int VERSION = 2;
    static final int CHALLENGE_BYTES = 32;
    static final int MAC_BYTES = 32;
    static final int MAX_TEXT_BYTES = 1024;
    static final int MAX_BODY_BYTES = 4 * MAX_TEXT_BYTES;
    static final int MAX_PENDING = 64;
    private static final long CONNECT_RETRY_NANOS = 100_000_000L;

    private final BooleanSupplier cancelled;
    private final int rank;
    private final int worldSize;
    private final Session session;
    private final RingOptions options;
    private final SecretKeySpec key;
    private final SecureRandom random = new SecureRandom();
    private final List<String> refusals = new ArrayList<>();
    /** Incoming connection of each channel, once its left neighbour has authenticated. */
    private SocketChannel[] joined = new SocketChannel[0];

    Handshake(int rank, int worldSize, Session session, RingOptions options, byte[] secret) {
      this(rank, worldSize, session, options, secret, () -> false);
    }

    Handshake(int rank, int worldSize, Session session, RingOptions options, byte[] secret,
        BooleanSupplier cancelled) {
      this.cancelled = cancelled;
      if (secret == null || secret.length < 16) {
        throw new IllegalArgumentException("the ring secret must be at least 16 bytes");
      }
      this.rank = rank;
      this.worldSize = worldSize;
      this.session = session;
      this.options = options;
      this.key = new SecretKeySpec(secret, "HmacSHA256");
    }

    /** Returns {to right, from left} per channel, all non-blocking. */
    SocketChannel[][] establish(
        ServerSocketChannel listener, InetSocketAddress right, Duration deadline) {
      int k = options.channels();
      long deadlineNanos = System.nanoTime() + deadline.toNanos();
      List<Inbound> pending = new ArrayList<>();
      List<Outbound> outbound = new ArrayList<>(k);
      for (int c = 0; c < k; c++) {
        outbound.add(new Outbound(right, c));
      }
      joined = new SocketChannel[k];
      int joinedCount = 0;
      try (Selector selector = Selector.open()) {
        listener.configureBlocking(false);
        SelectionKey acceptKey = listener.register(selector, SelectionKey.OP_ACCEPT);
        for (Outbound out : outbound) {
          out.start(selector);
        }
        while (joinedCount < k || !outbound.stream().allMatch(Outbound::done)) {
          long now = System.nanoTime();
          long remaining = deadlineNanos - now;
          if (remaining <= 0) {
            throw connectTimeout(deadline, outbound, joinedCount);
          }
          if (cancelled.getAsBoolean()) {
            throw new CollectiveException(
                "rank " + rank + ": cancelled while connecting the ring (the stage was aborted)");
          }
          long wait = Math.min(remaining, CANCEL_POLL_MILLIS * 1_000_000);
          for (Outbound out : outbound) {
            if (out.retryAt != 0) {
              wait = Math.min(wait, out.retryAt - now);
            }
          }
          selector.select(Math.max(1, (wait + 999_999) / 1_000_000));
          Iterator<SelectionKey> it = selector.selectedKeys().iterator();
          while (it.hasNext()) {
            SelectionKey key = it.next();
            it.remove();
            if (!key.isValid()) {
              continue;
            }
            if (key == acceptKey) {
              acceptAll(listener, selector, pending);
            } else if (key.attachment() instanceof Outbound out) {
              out.step(key);
            } else if (key.attachment() instanceof Inbound in && in.step(key)) {
              pending.remove(in);
              key.cancel();
              if (joined[in.lane] != null) {
                closeQuietly(in.channel); // a duplicate that raced the first one
                continue;
              }
              joined[in.lane] = in.channel;
              if (++joinedCount == k) {
                acceptKey.cancel();
                for (Inbound other : pending) {
                  closeQuietly(other.channel);
                }
                pending.clear();
              }
            }
          }
          for (Outbound out : outbound) {
            if (out.retryAt != 0 && System.nanoTime() >= out.retryAt) {
              out.start(selector);
            }
          }
        }
        // Closing the selector deregisters every channel; the lanes register them anew.
        SocketChannel[][] links = new SocketChannel[k][];
        for (int c = 0; c < k; c++) {
          links[c] = new SocketChannel[] {outbound.get(c).channel, joined[c]};
        }
        return links;
      } catch (IOException e) {
        closeAll(outbound);
        throw new CollectiveException(
            "rank " + rank + ": cannot connect the ring (right neighbour " + right + "): " + e, e);
      } catch (RuntimeException e) {
        closeAll(outbound);
        throw e;
      } finally {
        for (Inbound in : pending) {
          closeQuietly(in.channel);
        }
      }
    }

    private void closeAll(List<Outbound> outbound) {
      for (Outbound out : outbound) {
        closeQuietly(out.channel);
      }
      for (SocketChannel ch : joined) {
        closeQuietly(ch);
      }
    }

    private CollectiveException connectTimeout(
        Duration deadline, List<Outbound> outbound, int joinedCount) {
      StringBuilder m = new StringBuilder("rank ").append(rank)
          .append(": ring not connected within ").append(deadline).append(": ");
      boolean leftJoined = joinedCount == joined.length;
      if (!leftJoined) {
        m.append("left neighbour rank ").append(left()).append(" did not join");
        if (joined.length > 1) {
          m.append(" (").append(joinedCount).append(" of ").append(joined.length)
              .append(" channels joined)");
        }
        if (!refusals.isEmpty()) {
          m.append(" (refused ").append(refusals.size()).append(" connection(s): ")
              .append(String.join("; ", refusals.subList(0, Math.min(5, refusals.size()))))
              .append(")");
        }
      }
      for (Outbound out : outbound) {
        if (!out.done()) {
          if (!leftJoined) {
            m.append("; ");
          }
          m.append("right neighbour rank ").append((rank + 1) % worldSize).append(" at ")
              .append(out.address).append(" did not complete the handshake")
              .append(out.lastError == null ? "" : " (" + out.lastError + ")");
          break;
        }
      }
      return new DeadlineExceededException(m.toString(), deadline);
    }

    private void acceptAll(ServerSocketChannel listener, Selector selector, List<Inbound> pending)
        throws IOException {
      SocketChannel ch;
      while ((ch = listener.accept()) != null) {
        if (pending.size() >= MAX_PENDING) {
          // Make room by evicting the oldest connection that has not yet sent a valid header, so
          // silent clients that came first cannot lock the neighbour out.
          Inbound idle = pending.stream().filter(p -> p.state < 2).findFirst().orElse(null);
          if (idle == null) {
            refuse(ch, "too many pending connections");
            continue;
          }
          pending.remove(idle);
          refuse(idle.channel, "evicted: too many pending connections");
        }
        Inbound in = new Inbound(ch);
        pending.add(in);
        try {
          ch.configureBlocking(false);
          ch.register(selector, SelectionKey.OP_WRITE, in);
        } catch (IOException e) {
          pending.remove(in);
          refuse(ch, "cannot register: " + e.getMessage());
        }
      }
    }

    private void refuse(SocketChannel ch, String reason) {
      String who;
      try {
        who = String.valueOf(ch.getRemoteAddress());
      } catch (IOException e) {
        who = "unknown peer";
      }
      String line = who + ": " + reason;
      if (refusals.size() < 100) {
        refusals.add(line);
      }
      LOG.log(
          System.Logger.Level.WARNING, "rank {0}: refused ring connection from {1}", rank, line);
      closeQuietly(ch);
    }

    private int left() {
      return (rank + worldSize - 1) % worldSize;
    }

    byte[] body(int senderRank, int lane, byte[] clientChallenge) {
      byte[] run = session.runId().getBytes(StandardCharsets.UTF_8);
      byte[] nonce = session.attemptNonce().getBytes(StandardCharsets.UTF_8);
      ByteBuffer b = ByteBuffer.allocate(2 + run.length + 8 + 2 + nonce.length + 4 + 4 + 1 + 4
          + 4 + 4 + CHALLENGE_BYTES);
      b.putShort((short) run.length).put(run).putLong(session.segment());
      b.putShort((short) nonce.length).put(nonce);
      b.putInt(senderRank).putInt(worldSize).put((byte) options.wireDtype().ordinal());
      b.putInt(options.bucketBytes()).putInt(options.channels());
      b.putInt(lane).put(clientChallenge);
      return b.array();
    }

    byte[] mac(String label, byte[]... parts) {
      try {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(key);
        mac.update(label.getBytes(StandardCharsets.US_ASCII));
        for (byte[] p : parts) {
          mac.update(p);
        }
        return mac.doFinal();
      } catch (GeneralSecurityException e) {
        throw new IllegalStateException("HmacSHA256 unavailable", e);
      }
    }

    byte[] challenge() {
      byte[] c = new byte[CHALLENGE_BYTES];
      random.nextBytes(c);
      return c;
    }

    /** Why an authenticated body does not belong to this ring, or null if it does. */
    String mismatch(byte[] body) {
      byte[] expected = body(left(), 0, new byte[CHALLENGE_BYTES]);
      int fixed = expected.length - CHALLENGE_BYTES - 4; // all but lane and challenge
      if (body.length == expected.length
          && MessageDigest.isEqual(
              java.util.Arrays.copyOf(body, fixed), java.util.Arrays.copyOf(expected, fixed))) {
        int lane = laneOf(body);
        if (lane < 0 || lane >= joined.length) {
          return "channel " + lane + " out of range";
        }
        return joined[lane] != null ? "channel " + lane + " already joined" : null;
      }
      // Describe the difference for the log; the body is authenticated, so it is well formed.
      try {
        ByteBuffer b = ByteBuffer.wrap(body);
        byte[] run = new byte[b.getShort() & 0xffff];
        b.get(run);
        long segment = b.getLong();
        byte[] nonce = new byte[b.getShort() & 0xffff];
        b.get(nonce);
        int senderRank = b.getInt();
        int world = b.getInt();
        int dtype = b.get();
        int bucket = b.getInt();
        int channels = b.getInt();
        if (!new String(run, StandardCharsets.UTF_8).equals(session.runId())) {
          return "different run id";
        }
        if (segment != session.segment()) {
          return "segment " + segment + ", expected " + session.segment();
        }
        if (!new String(nonce, StandardCharsets.UTF_8).equals(session.attemptNonce())) {
          return "different attempt nonce (a task of another stage attempt?)";
        }
        if (world != worldSize) {
          return "world size " + world + ", expected " + worldSize;
        }
        if (senderRank != left()) {
          return "rank " + senderRank + " is not the left neighbour " + left();
        }
        if (dtype != options.wireDtype().ordinal()
            || bucket != options.bucketBytes()
            || channels != options.channels()) {
          return "different ring options (wire dtype, bucket bytes or channels)";
        }
        return "malformed handshake body";
      } catch (RuntimeException e) {
        return "malformed handshake body";
      }
    }

    static int laneOf(byte[] body) {
      return ByteBuffer.wrap(body, body.length - CHALLENGE_BYTES - 4, 4).getInt();
    }

    /** Acceptor side of one incoming connection. */
    private final class Inbound {
      final SocketChannel channel;
      final byte[] serverChallenge = challenge();
      ByteBuffer buf;
      int state; // 0 send challenge, 1 read header, 2 read body+mac, 3 send reply
      byte[] body;
      int lane;

      Inbound(SocketChannel channel) {
        this.channel = channel;
        buf = ByteBuffer.allocate(MAGIC.length + 4 + CHALLENGE_BYTES);
        buf.put(MAGIC).putInt(VERSION).put(serverChallenge).flip();
      }

      /** Advances; returns true once the left neighbour is authenticated and answered. */
      boolean step(SelectionKey k) {
        try {
          return advance(k);
        } catch (IOException e) {
          drop(k, "i/o error: " + e.getMessage());
          return false;
        }
      }

      private boolean advance(SelectionKey k) throws IOException {
        if (state == 0 || state == 3) {
          channel.write(buf);
          if (buf.hasRemaining()) {
            return false;
          }
          if (state == 3) {
            return true;
          }
          state = 1;
          buf = ByteBuffer.allocate(MAGIC.length + 8);
          k.interestOps(SelectionKey.OP_READ);
          return false;
        }
        if (channel.read(buf) < 0) {
          drop(k, "closed during the handshake");
          return false;
        }
        if (buf.hasRemaining()) {
          return false;
        }
        buf.flip();
        if (state == 1) {
          byte[] magic = new byte[MAGIC.length];
          buf.get(magic);
          int version = buf.getInt();
          int length = buf.getInt();
          if (!MessageDigest.isEqual(magic, MAGIC) || version != VERSION) {
            drop(k, "not a ring handshake");
          } else if (length <= CHALLENGE_BYTES || length > MAX_BODY_BYTES) {
            drop(k, "handshake body length " + length + " out of range");
          } else {
            state = 2;
            buf = ByteBuffer.allocate(length + MAC_BYTES);
          }
          return false;
        }
        body = new byte[buf.remaining() - MAC_BYTES];
        buf.get(body);
        byte[] tag = new byte[MAC_BYTES];
        buf.get(tag);
        if (!MessageDigest.isEqual(tag, mac("client", serverChallenge, body))) {
          drop(k, "authentication failed (wrong secret or tampered handshake)");
          return false;
        }
        String why = mismatch(body);
        if (why != null) {
          drop(k, why);
          return false;
        }
        lane = laneOf(body);
        byte[] clientChallenge =
            java.util.Arrays.copyOfRange(body, body.length - CHALLENGE_BYTES, body.length);
        buf = ByteBuffer.allocate(MAGIC.length + MAC_BYTES);
        buf.put(MAGIC).put(mac("server", clientChallenge, serverChallenge, body)).flip();
        state = 3;
        k.interestOps(SelectionKey.OP_WRITE);
        return advance(k);
      }

      private void drop(SelectionKey k, String reason) {
        k.cancel();
        refuse(channel, reason);
      }
    }

    /** Connector side: the connection to the right neighbour. */
    private final class Outbound {
      final InetSocketAddress address;
      final int lane;
      SocketChannel channel;
      ByteBuffer buf;
      int state; // 0 connecting, 1 read challenge, 2 send hello, 3 read reply, 4 done
      long retryAt;
      byte[] clientChallenge;
      byte[] serverChallenge;
      byte[] body;
      String lastError;

      Outbound(InetSocketAddress address, int lane) {
        this.address = address;
        this.lane = lane;
      }

      boolean done() {
        return state == 4;
      }

      void start(Selector selector) throws IOException {
        retryAt = 0;
        state = 0;
        channel = SocketChannel.open();
        channel.configureBlocking(false);
        channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
        if (channel.connect(address)) {
          state = 1;
          buf = ByteBuffer.allocate(MAGIC.length + 4 + CHALLENGE_BYTES);
          channel.register(selector, SelectionKey.OP_READ, this);
        } else {
          channel.register(selector, SelectionKey.OP_CONNECT, this);
        }
      }

      void step(SelectionKey k) throws IOException {
        if (state == 0) {
          try {
            channel.finishConnect();
          } catch (IOException e) {
            // Not listening yet (or a transient refusal): retry until the connect deadline.
            lastError = e.toString();
            k.cancel();
            closeQuietly(channel);
            retryAt = System.nanoTime() + CONNECT_RETRY_NANOS;
            return;
          }
          state = 1;
          buf = ByteBuffer.allocate(MAGIC.length + 4 + CHALLENGE_BYTES);
          k.interestOps(SelectionKey.OP_READ);
          return;
        }
        if (state == 2) {
          channel.write(buf);
          if (!buf.hasRemaining()) {
            state = 3;
            buf = ByteBuffer.allocate(MAGIC.length + MAC_BYTES);
            k.interestOps(SelectionKey.OP_READ);
          }
          return;
        }
        if (channel.read(buf) < 0) {
          throw new CollectiveException(
              "rank "
                  + rank
                  + ": right neighbour at "
                  + address
                  + " closed the connection during the handshake: it refused this rank"
                  + " (different run, segment, attempt nonce, ring options or secret)");
        }
        if (buf.hasRemaining()) {
          return;
        }
        buf.flip();
        byte[] magic = new byte[MAGIC.length];
        buf.get(magic);
        if (!MessageDigest.isEqual(magic, MAGIC)) {
          throw new CollectiveException(
              "rank " + rank + ": " + address + " is not a ring peer (bad handshake magic)");
        }
        if (state == 1) {
          int version = buf.getInt();
          if (version != VERSION) {
            throw new CollectiveException(
                "rank " + rank + ": right neighbour at " + address + " speaks ring protocol "
                    + version + ", expected " + VERSION);
          }
          serverChallenge = new byte[CHALLENGE_BYTES];
          buf.get(serverChallenge);
          clientChallenge = challenge();
          body = body(rank, lane, clientChallenge);
          buf = ByteBuffer.allocate(MAGIC.length + 8 + body.length + MAC_BYTES);
          buf.put(MAGIC).putInt(VERSION).putInt(body.length).put(body);
          buf.put(mac("client", serverChallenge, body)).flip();
          state = 2;
          k.interestOps(SelectionKey.OP_WRITE);
          return;
        }
        byte[] tag = new byte[MAC_BYTES];
        buf.get(tag);
        if (!MessageDigest.isEqual(tag, mac("server", clientChallenge, serverChallenge, body))) {
          throw new CollectiveException(
              "rank " + rank + ": right neighbour at " + address
                  + " failed authentication (not a peer of this ring, or a different secret)");
        }
        state = 4;
        k.cancel();
      }
    }
  }
}
