package ai.igspark.collective;

import static ai.igspark.collective.TcpRingCollective.Handshake.CHALLENGE_BYTES;
import static ai.igspark.collective.TcpRingCollective.Handshake.MAC_BYTES;
import static ai.igspark.collective.TcpRingCollective.Handshake.MAGIC;
import static ai.igspark.collective.TcpRingCollective.Handshake.MAX_BODY_BYTES;
import static ai.igspark.collective.TcpRingCollective.Handshake.VERSION;

import ai.igspark.collective.Collective.CollectiveException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.function.IntPredicate;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Mutual authentication of one ring connection, binding it to this ring (run, segment, attempt,
 * ranks, options) and to one lane.
 *
 * <pre>
 * acceptor → connector  MAGIC, VERSION, server challenge (32 random bytes)
 * connector → acceptor  MAGIC, VERSION, body length, body,
 *                       HMAC("client" ‖ server challenge ‖ body)
 *                       body = run id, segment, attempt nonce, rank, world size, wire dtype,
 *                              bucket bytes, channels, lane, client challenge (32 random bytes)
 * acceptor → connector  MAGIC,
 *                       HMAC("server" ‖ client challenge ‖ server challenge ‖ body)
 * </pre>
 *
 * HMAC is HMAC-SHA256 under the application's secret. Fresh challenges on both sides make a
 * recorded handshake useless. The acceptor refuses any connection that fails a check; the
 * connector fails if its right neighbour refuses it or cannot prove it knows the secret.
 *
 * <p>Two non-blocking state machines, one per connection, driven by {@link RingConnector}'s
 * selector: {@link Responder} (the acceptor's side) and {@link Initiator} (the connector's side).
 * Neither keeps time: the deadlines are the connector's. Not thread-safe: one per connect.
 */
final class RingHandshake {

  /** Where one step of a state machine left its connection. */
  enum Progress {
    /** Waiting for the peer; step again when the connection's key is ready. */
    WAITING,
    /** Authenticated both ways: the connection belongs to the ring. */
    DONE,
    /** Responder only: the peer failed a check ({@link Responder#reason()}); close it. */
    REFUSED,
    /**
     * Initiator only: closed before the acceptor's challenge arrived, so before this rank sent
     * anything: the acceptor was busy or closing, not refusing. Connect again.
     */
    TURNED_AWAY
  }

  private final int rank;
  private final int worldSize;
  private final TcpRingCollective.Session session;
  private final RingOptions options;
  private final Mac mac;
  private final SecureRandom random = new SecureRandom();

  /** @param secret at least 16 bytes; copied, never logged */
  RingHandshake(
      int rank, int worldSize, TcpRingCollective.Session session, RingOptions options,
      byte[] secret) {
    if (secret == null || secret.length < 16) {
      throw new IllegalArgumentException("the ring secret must be at least 16 bytes");
    }
    this.rank = rank;
    this.worldSize = worldSize;
    this.session = session;
    this.options = options;
    try {
      mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(secret, "HmacSHA256"));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 unavailable", e);
    }
  }

  int rank() {
    return rank;
  }

  int worldSize() {
    return worldSize;
  }

  /** Connections per neighbour, one per lane. */
  int lanes() {
    return options.channels();
  }

  int left() {
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
    mac.update(label.getBytes(StandardCharsets.US_ASCII));
    for (byte[] p : parts) {
      mac.update(p);
    }
    return mac.doFinal();
  }

  byte[] challenge() {
    byte[] c = new byte[CHALLENGE_BYTES];
    random.nextBytes(c);
    return c;
  }

  /** Why an authenticated body does not belong to this ring, or null if it does. */
  String mismatch(byte[] body, IntPredicate laneJoined) {
    byte[] expected = body(left(), 0, new byte[CHALLENGE_BYTES]);
    int fixed = expected.length - CHALLENGE_BYTES - 4; // all but lane and challenge
    if (body.length == expected.length
        && MessageDigest.isEqual(Arrays.copyOf(body, fixed), Arrays.copyOf(expected, fixed))) {
      int lane = laneOf(body);
      if (lane < 0 || lane >= lanes()) {
        return "channel " + lane + " out of range";
      }
      return laneJoined.test(lane) ? "channel " + lane + " already joined" : null;
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

  /** The acceptor's side of one incoming connection. */
  final class Responder implements PendingHandshakes.Handshaking {
    private enum State { SEND_CHALLENGE, READ_HEADER, READ_BODY, SEND_REPLY }

    private final SocketChannel channel;
    private final IntPredicate laneJoined;
    private final long acceptedAt;
    private final byte[] serverChallenge = challenge();
    private State state = State.SEND_CHALLENGE;
    private ByteBuffer buf;
    private boolean challenged;
    private long challengedAt;
    private boolean heardFrom;
    private int lane = -1;
    private String reason;

    /** @param laneJoined whether a lane already has its authenticated connection */
    Responder(SocketChannel channel, long acceptedAt, IntPredicate laneJoined) {
      this.channel = channel;
      this.acceptedAt = acceptedAt;
      this.laneJoined = laneJoined;
      buf = ByteBuffer.allocate(MAGIC.length + 4 + CHALLENGE_BYTES);
      buf.put(MAGIC).putInt(VERSION).put(serverChallenge).flip();
    }

    SocketChannel channel() {
      return channel;
    }

    /** The lane this connection joins, once {@link Progress#DONE}. */
    int lane() {
      return lane;
    }

    /** Why the connection was refused, once {@link Progress#REFUSED}. */
    String reason() {
      return reason;
    }

    @Override
    public long acceptedAt() {
      return acceptedAt;
    }

    @Override
    public boolean challenged() {
      return challenged;
    }

    @Override
    public long challengedAt() {
      return challengedAt;
    }

    @Override
    public boolean heardFrom() {
      return heardFrom;
    }

    Progress step(SelectionKey k) {
      try {
        return advance(k);
      } catch (IOException e) {
        return refuse("i/o error: " + e.getMessage());
      }
    }

    private Progress refuse(String why) {
      reason = why;
      return Progress.REFUSED;
    }

    private Progress advance(SelectionKey k) throws IOException {
      if (state == State.SEND_CHALLENGE || state == State.SEND_REPLY) {
        channel.write(buf);
        if (buf.hasRemaining()) {
          return Progress.WAITING;
        }
        if (state == State.SEND_REPLY) {
          return Progress.DONE;
        }
        state = State.READ_HEADER;
        challenged = true;
        challengedAt = System.nanoTime();
        buf = ByteBuffer.allocate(MAGIC.length + 8);
        k.interestOps(SelectionKey.OP_READ);
        return Progress.WAITING;
      }
      int n = channel.read(buf);
      if (n < 0) {
        return refuse("closed during the handshake");
      }
      if (n > 0) {
        // Refused at its first wrong byte, so noise cannot hold a slot as a handshake would.
        if (state == State.READ_HEADER && !magicSoFar()) {
          return refuse("not a ring handshake");
        }
        heardFrom = true;
      }
      if (buf.hasRemaining()) {
        return Progress.WAITING;
      }
      buf.flip();
      if (state == State.READ_HEADER) {
        byte[] magic = new byte[MAGIC.length];
        buf.get(magic);
        int version = buf.getInt();
        int length = buf.getInt();
        if (!MessageDigest.isEqual(magic, MAGIC) || version != VERSION) {
          return refuse("not a ring handshake");
        }
        if (length <= CHALLENGE_BYTES || length > MAX_BODY_BYTES) {
          return refuse("handshake body length " + length + " out of range");
        }
        state = State.READ_BODY;
        buf = ByteBuffer.allocate(length + MAC_BYTES);
        return Progress.WAITING;
      }
      byte[] body = new byte[buf.remaining() - MAC_BYTES];
      buf.get(body);
      byte[] tag = new byte[MAC_BYTES];
      buf.get(tag);
      if (!MessageDigest.isEqual(tag, mac("client", serverChallenge, body))) {
        return refuse("authentication failed (wrong secret or tampered handshake)");
      }
      String why = mismatch(body, laneJoined);
      if (why != null) {
        return refuse(why);
      }
      lane = laneOf(body);
      byte[] clientChallenge = Arrays.copyOfRange(body, body.length - CHALLENGE_BYTES,
          body.length);
      buf = ByteBuffer.allocate(MAGIC.length + MAC_BYTES);
      buf.put(MAGIC).put(mac("server", clientChallenge, serverChallenge, body)).flip();
      state = State.SEND_REPLY;
      k.interestOps(SelectionKey.OP_WRITE);
      return advance(k);
    }

    /** Whether the header bytes read so far are a prefix of the magic (or extend past it). */
    private boolean magicSoFar() {
      for (int i = 0; i < Math.min(buf.position(), MAGIC.length); i++) {
        if (buf.get(i) != MAGIC[i]) {
          return false;
        }
      }
      return true;
    }
  }

  /** The connector's side: one connected channel to the right neighbour. */
  final class Initiator {
    private enum State { READ_CHALLENGE, SEND_HELLO, READ_REPLY }

    private final SocketChannel channel;
    private final InetSocketAddress address;
    private final int lane;
    private State state = State.READ_CHALLENGE;
    private ByteBuffer buf = ByteBuffer.allocate(MAGIC.length + 4 + CHALLENGE_BYTES);
    private byte[] clientChallenge;
    private byte[] serverChallenge;
    private byte[] body;

    Initiator(SocketChannel channel, InetSocketAddress address, int lane) {
      this.channel = channel;
      this.address = address;
      this.lane = lane;
    }

    /** Advances; throws when the right neighbour refuses this rank or fails authentication. */
    Progress step(SelectionKey k) throws IOException {
      if (state == State.SEND_HELLO) {
        channel.write(buf);
        if (!buf.hasRemaining()) {
          state = State.READ_REPLY;
          buf = ByteBuffer.allocate(MAGIC.length + MAC_BYTES);
          k.interestOps(SelectionKey.OP_READ);
        }
        return Progress.WAITING;
      }
      if (read() < 0) {
        if (state == State.READ_CHALLENGE) {
          return Progress.TURNED_AWAY;
        }
        throw new CollectiveException(
            "rank " + rank + ": right neighbour at " + address
                + " closed the connection during the handshake: it refused this rank"
                + " (different run, segment, attempt nonce, ring options or secret)");
      }
      if (buf.hasRemaining()) {
        return Progress.WAITING;
      }
      buf.flip();
      byte[] magic = new byte[MAGIC.length];
      buf.get(magic);
      if (!MessageDigest.isEqual(magic, MAGIC)) {
        throw new CollectiveException(
            "rank " + rank + ": " + address + " is not a ring peer (bad handshake magic)");
      }
      if (state == State.READ_CHALLENGE) {
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
        state = State.SEND_HELLO;
        k.interestOps(SelectionKey.OP_WRITE);
        return Progress.WAITING;
      }
      byte[] tag = new byte[MAC_BYTES];
      buf.get(tag);
      if (!MessageDigest.isEqual(tag, mac("server", clientChallenge, serverChallenge, body))) {
        throw new CollectiveException(
            "rank " + rank + ": right neighbour at " + address
                + " failed authentication (not a peer of this ring, or a different secret)");
      }
      return Progress.DONE;
    }

    /** Reads; before the challenge is in, a reset counts as a close (turned away). */
    private int read() throws IOException {
      if (state != State.READ_CHALLENGE) {
        return channel.read(buf);
      }
      try {
        return channel.read(buf);
      } catch (IOException e) {
        return -1;
      }
    }
  }
}
