package ai.igspark.dist;

import ai.igspark.data.InvalidInputException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
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
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Bucketed ring all-reduce (reduce-scatter, then all-gather) over java.nio TCP
 * (architecture.md §4, distributed-training-anchors.md §2.10 and §4.1).
 *
 * <p>Rank r connects to its right neighbour r+1 and accepts its left neighbour r−1 on its own
 * listener. Every connection is authenticated by a challenge–response handshake: an HMAC-SHA256,
 * under the application's secret, over the run id, segment, attempt nonce, ranks and ring options.
 * Anything else that reaches the listener (stray clients, old attempts, random bytes, silent
 * connections) is dropped without disturbing the ring; once the ring is up the listener is closed.
 *
 * <p>Each bucket of {@code n} floats is cut into W chunks (the first {@code n mod W} one float
 * longer). In reduce-scatter step s, rank r sends chunk r−s and adds the incoming chunk r−s−1 to
 * its own, so chunk c is summed in the fixed order x_c + x_{c+1} + … + x_{c−1} (ranks mod W),
 * accumulated in fp32. All-gather then forwards the owner's encoded bytes unchanged, so every rank
 * ends with bitwise-identical values. A single thread drives both sockets, non-blocking, under a
 * {@link Selector}; every ring step has a deadline, and any failure closes both sockets so the
 * neighbours fail at once instead of waiting for their own deadlines.
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

  private final int rank;
  private final int worldSize;
  private final Session session;
  private final RingOptions options;
  private final InetSocketAddress rightAddress;
  private final InetSocketAddress leftAddress;
  private final SocketChannel toRight;
  private final SocketChannel fromLeft;
  private final Selector selector;
  private final SelectionKey writeKey;
  private final SelectionKey readKey;
  private final int wireBytes;
  private final int bucketFloats;

  // Staging, reused across calls: three wire buffers rotate between "being sent", "being
  // received" and "next to send"; each holds one chunk.
  private final ByteBuffer[] wire = new ByteBuffer[3];
  private final FloatBuffer[] wireFloats = new FloatBuffer[3];
  private final ShortBuffer[] wireShorts = new ShortBuffer[3];
  private final ByteBuffer headerOut = ByteBuffer.allocateDirect(16);
  private final ByteBuffer headerIn = ByteBuffer.allocateDirect(16);
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
      SocketChannel toRight,
      SocketChannel fromLeft)
      throws IOException {
    this.rank = rank;
    this.worldSize = worldSize;
    this.session = session;
    this.options = options;
    this.rightAddress = rightAddress;
    this.leftAddress = leftAddress;
    this.toRight = toRight;
    this.fromLeft = fromLeft;
    this.wireBytes = options.wireDtype().bytes();
    this.bucketFloats = options.bucketBytes() / 4;
    if (worldSize > 1) {
      tune(toRight);
      tune(fromLeft);
      selector = Selector.open();
      writeKey = toRight.register(selector, 0);
      readKey = fromLeft.register(selector, 0);
    } else {
      selector = null;
      writeKey = null;
      readKey = null;
    }
  }

  private static void tune(SocketChannel ch) throws IOException {
    ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
    int buf = Integer.getInteger("igspark.ring.sockbuf", 0);
    if (buf > 0) {
      ch.setOption(StandardSocketOptions.SO_SNDBUF, buf);
      ch.setOption(StandardSocketOptions.SO_RCVBUF, buf);
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
    Objects.requireNonNull(session, "session");
    Objects.requireNonNull(options, "options");
    int worldSize = addresses.size();
    if (rank < 0 || rank >= worldSize) {
      throw new IllegalArgumentException("rank " + rank + " outside a ring of " + worldSize);
    }
    if (worldSize == 1) {
      closeQuietly(listener);
      try {
        return new TcpRingCollective(rank, 1, session, options, null, null, null, null);
      } catch (IOException e) {
        throw new CollectiveException("cannot create a ring of one", e);
      }
    }
    Objects.requireNonNull(listener, "listener");
    Handshake handshake = new Handshake(rank, worldSize, session, options, secret);
    InetSocketAddress right = addresses.get((rank + 1) % worldSize);
    InetSocketAddress left = addresses.get((rank + worldSize - 1) % worldSize);
    SocketChannel[] links;
    try {
      links = handshake.establish(listener, right, options.connectDeadline());
    } finally {
      closeQuietly(listener);
    }
    try {
      TcpRingCollective ring =
          new TcpRingCollective(rank, worldSize, session, options, right, left, links[0], links[1]);
      LOG.log(
          System.Logger.Level.INFO,
          "ring connected: rank {0} of {1}, right {2}, left {3}",
          rank,
          worldSize,
          right,
          left);
      return ring;
    } catch (IOException e) {
      closeQuietly(links[0]);
      closeQuietly(links[1]);
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

  @Override
  public void allReduceSum(FloatBuffer data, Phase phase) {
    if (failure != null) {
      throw new CollectiveException(
          "rank " + rank + ": ring failed earlier: " + failure.getMessage(), failure);
    }
    if (closed) {
      throw new CollectiveException("rank " + rank + ": ring is closed");
    }
    if (data.isReadOnly()) {
      throw new IllegalArgumentException("all-reduce needs a writable buffer, got a read-only one");
    }
    if (worldSize == 1) {
      return;
    }
    Duration deadline = options.deadline(phase);
    int base = data.position();
    int n = data.remaining();
    try {
      exchangeHeader(n, phase, deadline);
      for (int start = 0; start < n; start += bucketFloats) {
        reduceBucket(data, base + start, Math.min(bucketFloats, n - start), phase, deadline);
      }
      calls++;
    } catch (CollectiveException e) {
      throw fail(e);
    } catch (IOException | RuntimeException e) {
      throw fail(
          new CollectiveException(
              "rank " + rank + ": ring all-reduce failed (" + phase + " phase, call #" + calls
                  + "): " + e,
              e));
    }
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    closeQuietly(selector);
    closeQuietly(toRight);
    closeQuietly(fromLeft);
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
        + (closed ? ", closed" : "")
        + "]";
  }

  private CollectiveException fail(CollectiveException e) {
    failure = e;
    close();
    return e;
  }

  /** Every call starts by checking that both neighbours run the same call on the same length. */
  private void exchangeHeader(int n, Phase phase, Duration deadline) throws IOException {
    headerOut.clear();
    headerOut.putLong(calls).putLong(n).flip();
    headerIn.clear();
    exchange(headerOut, headerIn, Stage.HEADER, null, 0, 0, phase, deadline, "start");
    long leftCall = headerIn.getLong(0);
    long leftN = headerIn.getLong(8);
    if (leftCall != calls || leftN != n) {
      throw new CollectiveException(
          "rank "
              + rank
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

  private void reduceBucket(FloatBuffer data, int off, int len, Phase phase, Duration deadline)
      throws IOException {
    int w = worldSize;
    ensureStaging(len / w + 1);
    int send = 0;
    int recv = 1;
    int next = 2;
    encode(data, off + chunkStart(len, rank), chunkLength(len, rank), send);
    // Reduce-scatter: after W−1 steps this rank owns the full sum of chunk r+1.
    for (int s = 0; s < w - 1; s++) {
      int sendChunk = Math.floorMod(rank - s, w);
      int recvChunk = Math.floorMod(rank - s - 1, w);
      wire[send].clear().limit(chunkLength(len, sendChunk) * wireBytes);
      wire[recv].clear().limit(chunkLength(len, recvChunk) * wireBytes);
      Stage stage = s == w - 2 ? Stage.REDUCE_LAST : Stage.REDUCE;
      exchange(
          wire[send],
          wire[recv],
          stage,
          data,
          off + chunkStart(len, recvChunk),
          (recv << 2) | next,
          phase,
          deadline,
          "reduce-scatter step " + (s + 1) + "/" + (w - 1));
      int t = send;
      send = next;
      next = t;
    }
    // All-gather: forward the owned, encoded chunk and every chunk received, bytes unchanged.
    for (int s = 0; s < w - 1; s++) {
      int sendChunk = Math.floorMod(rank + 1 - s, w);
      int recvChunk = Math.floorMod(rank - s, w);
      wire[send].clear().limit(chunkLength(len, sendChunk) * wireBytes);
      wire[recv].clear().limit(chunkLength(len, recvChunk) * wireBytes);
      exchange(
          wire[send],
          wire[recv],
          Stage.GATHER,
          data,
          off + chunkStart(len, recvChunk),
          recv << 2,
          phase,
          deadline,
          "all-gather step " + (s + 1) + "/" + (w - 1));
      int t = send;
      send = recv;
      recv = t;
    }
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

  private void ensureStaging(int floats) {
    int bytes = Math.min(floats, (bucketFloats + worldSize - 1) / worldSize + 1) * wireBytes;
    if (wire[0] != null && wire[0].capacity() >= bytes) {
      return;
    }
    for (int i = 0; i < 3; i++) {
      wire[i] = ByteBuffer.allocateDirect(bytes).order(ByteOrder.LITTLE_ENDIAN);
      wireFloats[i] = wire[i].asFloatBuffer();
      wireShorts[i] = wire[i].asShortBuffer();
    }
  }

  /** Writes {@code data[off, off+len)} into wire buffer {@code dst} in the wire dtype. */
  private void encode(FloatBuffer data, int off, int len, int dst) {
    if (wireBytes == 4) {
      wireFloats[dst].put(0, data, off, len);
    } else {
      ShortBuffer out = wireShorts[dst];
      for (int i = 0; i < len; i++) {
        out.put(i, Bf16.fromFloat(data.get(off + i)));
      }
    }
  }

  /**
   * Sends {@code out} to the right neighbour while receiving {@code in} from the left one, and
   * hands received floats to {@link #consume} as they arrive so reduction overlaps the transfer.
   */
  private void exchange(
      ByteBuffer out,
      ByteBuffer in,
      Stage stage,
      FloatBuffer data,
      int dataOff,
      int buffers,
      Phase phase,
      Duration deadline,
      String step)
      throws IOException {
    long deadlineNanos = System.nanoTime() + deadline.toNanos();
    int consumed = 0;
    while (out.hasRemaining() || in.hasRemaining()) {
      boolean moved = false;
      if (out.hasRemaining() && toRight.write(out) > 0) {
        moved = true;
      }
      if (in.hasRemaining()) {
        int k = fromLeft.read(in);
        if (k < 0) {
          throw new CollectiveException(
              "rank "
                  + rank
                  + ": left neighbour rank "
                  + left()
                  + " ("
                  + leftAddress
                  + ") closed the connection during "
                  + step
                  + " (received "
                  + in.position()
                  + " of "
                  + in.limit()
                  + " bytes); it failed or was stopped");
        }
        if (k > 0) {
          moved = true;
          int ready = in.position() / wireBytes;
          if (stage != Stage.HEADER
              && (!in.hasRemaining() || (ready - consumed) * wireBytes >= REDUCE_SLICE_BYTES)) {
            consume(stage, data, dataOff, buffers, consumed, ready);
            consumed = ready;
          }
        }
      }
      if (!moved) {
        long remaining = deadlineNanos - System.nanoTime();
        if (remaining <= 0) {
          throw timeout(out, in, phase, deadline, step);
        }
        if (Thread.currentThread().isInterrupted()) {
          throw new CollectiveException("rank " + rank + ": interrupted during " + step);
        }
        int writeOps = out.hasRemaining() ? SelectionKey.OP_WRITE : 0;
        int readOps = in.hasRemaining() ? SelectionKey.OP_READ : 0;
        if (writeKey.interestOps() != writeOps) {
          writeKey.interestOps(writeOps);
        }
        if (readKey.interestOps() != readOps) {
          readKey.interestOps(readOps);
        }
        selector.select(Math.max(1, (remaining + 999_999) / 1_000_000));
        selector.selectedKeys().clear();
      }
    }
    if (stage != Stage.HEADER && consumed < in.limit() / wireBytes) {
      consume(stage, data, dataOff, buffers, consumed, in.limit() / wireBytes);
    }
  }

  /** Reduces (or, in all-gather, copies) received floats {@code [from, to)} of a chunk. */
  private void consume(Stage stage, FloatBuffer data, int off, int buffers, int from, int to) {
    int recv = buffers >>> 2;
    int next = buffers & 3;
    if (wireBytes == 4) {
      FloatBuffer in = wireFloats[recv];
      if (stage == Stage.GATHER) {
        data.put(off + from, in, from, to - from);
        return;
      }
      FloatBuffer out = wireFloats[next];
      // Fixed order: the partial sum of the ranks to the left, plus this rank's value.
      for (int i = from; i < to; i++) {
        out.put(i, in.get(i) + data.get(off + i));
      }
      if (stage == Stage.REDUCE_LAST) {
        data.put(off + from, out, from, to - from);
      }
    } else {
      ShortBuffer in = wireShorts[recv];
      if (stage == Stage.GATHER) {
        for (int i = from; i < to; i++) {
          data.put(off + i, Bf16.toFloat(in.get(i)));
        }
        return;
      }
      ShortBuffer out = wireShorts[next];
      boolean last = stage == Stage.REDUCE_LAST;
      for (int i = from; i < to; i++) {
        short sum = Bf16.fromFloat(Bf16.toFloat(in.get(i)) + data.get(off + i));
        out.put(i, sum);
        if (last) {
          // The owner keeps exactly what it sends, so all ranks end bitwise identical.
          data.put(off + i, Bf16.toFloat(sum));
        }
      }
    }
  }

  private DeadlineExceededException timeout(
      ByteBuffer out, ByteBuffer in, Phase phase, Duration deadline, String step) {
    String what;
    if (in.hasRemaining()) {
      what =
          "left neighbour rank "
              + left()
              + " ("
              + leftAddress
              + ") sent "
              + in.position()
              + " of "
              + in.limit()
              + " bytes";
    } else {
      what =
          "right neighbour rank "
              + right()
              + " ("
              + rightAddress
              + ") accepted "
              + out.position()
              + " of "
              + out.limit()
              + " bytes";
    }
    return new DeadlineExceededException(
        "rank "
            + rank
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
    static final int VERSION = 1;
    static final int CHALLENGE_BYTES = 32;
    static final int MAC_BYTES = 32;
    static final int MAX_TEXT_BYTES = 1024;
    static final int MAX_BODY_BYTES = 4 * MAX_TEXT_BYTES;
    static final int MAX_PENDING = 64;
    private static final long CONNECT_RETRY_NANOS = 100_000_000L;

    private final int rank;
    private final int worldSize;
    private final Session session;
    private final RingOptions options;
    private final SecretKeySpec key;
    private final SecureRandom random = new SecureRandom();
    private final List<String> refusals = new ArrayList<>();

    Handshake(int rank, int worldSize, Session session, RingOptions options, byte[] secret) {
      if (secret == null || secret.length < 16) {
        throw new IllegalArgumentException("the ring secret must be at least 16 bytes");
      }
      this.rank = rank;
      this.worldSize = worldSize;
      this.session = session;
      this.options = options;
      this.key = new SecretKeySpec(secret, "HmacSHA256");
    }

    /** Returns {to right, from left}, both non-blocking. */
    SocketChannel[] establish(
        ServerSocketChannel listener, InetSocketAddress right, Duration deadline) {
      long deadlineNanos = System.nanoTime() + deadline.toNanos();
      List<Inbound> pending = new ArrayList<>();
      Outbound outbound = new Outbound(right);
      SocketChannel fromLeft = null;
      try (Selector selector = Selector.open()) {
        listener.configureBlocking(false);
        SelectionKey acceptKey = listener.register(selector, SelectionKey.OP_ACCEPT);
        outbound.start(selector);
        while (fromLeft == null || !outbound.done()) {
          long remaining = deadlineNanos - System.nanoTime();
          if (remaining <= 0) {
            throw connectTimeout(deadline, outbound, fromLeft != null);
          }
          long wait = remaining;
          if (outbound.retryAt != 0) {
            wait = Math.min(wait, outbound.retryAt - System.nanoTime());
          }
          selector.select(Math.max(1, (wait + 999_999) / 1_000_000));
          Iterator<SelectionKey> it = selector.selectedKeys().iterator();
          while (it.hasNext()) {
            SelectionKey k = it.next();
            it.remove();
            if (!k.isValid()) {
              continue;
            }
            if (k == acceptKey) {
              acceptAll(listener, selector, pending);
            } else if (k.attachment() == outbound) {
              outbound.step(k);
            } else if (k.attachment() instanceof Inbound in) {
              if (in.step(k)) {
                fromLeft = in.channel;
                pending.remove(in);
                k.cancel();
                acceptKey.cancel();
                for (Inbound other : pending) {
                  closeQuietly(other.channel);
                }
                pending.clear();
              }
            }
          }
          if (outbound.retryAt != 0 && System.nanoTime() >= outbound.retryAt) {
            outbound.start(selector);
          }
        }
        SocketChannel toRight = outbound.channel;
        // Closing the selector deregisters both channels; the data phase registers them anew.
        return new SocketChannel[] {toRight, fromLeft};
      } catch (IOException e) {
        closeQuietly(outbound.channel);
        closeQuietly(fromLeft);
        throw new CollectiveException(
            "rank " + rank + ": cannot connect the ring (right neighbour " + right + "): " + e, e);
      } catch (RuntimeException e) {
        closeQuietly(outbound.channel);
        closeQuietly(fromLeft);
        throw e;
      } finally {
        for (Inbound in : pending) {
          closeQuietly(in.channel);
        }
      }
    }

    private CollectiveException connectTimeout(
        Duration deadline, Outbound outbound, boolean leftJoined) {
      StringBuilder m = new StringBuilder("rank ").append(rank)
          .append(": ring not connected within ").append(deadline).append(": ");
      if (!leftJoined) {
        m.append("left neighbour rank ").append(left()).append(" did not join");
        if (!refusals.isEmpty()) {
          m.append(" (refused ").append(refusals.size()).append(" connection(s): ")
              .append(String.join("; ", refusals.subList(0, Math.min(5, refusals.size()))))
              .append(")");
        }
      }
      if (!outbound.done()) {
        if (!leftJoined) {
          m.append("; ");
        }
        m.append("right neighbour rank ").append((rank + 1) % worldSize).append(" at ")
            .append(outbound.address).append(" did not complete the handshake")
            .append(outbound.lastError == null ? "" : " (" + outbound.lastError + ")");
      }
      return new DeadlineExceededException(m.toString(), deadline);
    }

    private void acceptAll(ServerSocketChannel listener, Selector selector, List<Inbound> pending)
        throws IOException {
      SocketChannel ch;
      while ((ch = listener.accept()) != null) {
        if (pending.size() >= MAX_PENDING) {
          refuse(ch, "too many pending connections");
          continue;
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

    byte[] body(int senderRank, byte[] clientChallenge) {
      byte[] run = session.runId().getBytes(StandardCharsets.UTF_8);
      byte[] nonce = session.attemptNonce().getBytes(StandardCharsets.UTF_8);
      ByteBuffer b = ByteBuffer.allocate(2 + run.length + 8 + 2 + nonce.length + 4 + 4 + 1 + 4
          + CHALLENGE_BYTES);
      b.putShort((short) run.length).put(run).putLong(session.segment());
      b.putShort((short) nonce.length).put(nonce);
      b.putInt(senderRank).putInt(worldSize).put((byte) options.wireDtype().ordinal());
      b.putInt(options.bucketBytes()).put(clientChallenge);
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
      byte[] expected = body(left(), new byte[CHALLENGE_BYTES]);
      int fixed = expected.length - CHALLENGE_BYTES;
      if (body.length == expected.length
          && MessageDigest.isEqual(
              java.util.Arrays.copyOf(body, fixed), java.util.Arrays.copyOf(expected, fixed))) {
        return null;
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
        if (dtype != options.wireDtype().ordinal() || bucket != options.bucketBytes()) {
          return "different ring options (wire dtype or bucket bytes)";
        }
        return "malformed handshake body";
      } catch (RuntimeException e) {
        return "malformed handshake body";
      }
    }

    /** Acceptor side of one incoming connection. */
    private final class Inbound {
      final SocketChannel channel;
      final byte[] serverChallenge = challenge();
      ByteBuffer buf;
      int state; // 0 send challenge, 1 read header, 2 read body+mac, 3 send reply
      byte[] body;

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
      SocketChannel channel;
      ByteBuffer buf;
      int state; // 0 connecting, 1 read challenge, 2 send hello, 3 read reply, 4 done
      long retryAt;
      byte[] clientChallenge;
      byte[] serverChallenge;
      byte[] body;
      String lastError;

      Outbound(InetSocketAddress address) {
        this.address = address;
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
          body = body(rank, clientChallenge);
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
