package ai.igspark.collective;

import static ai.igspark.collective.TcpRingCollective.CANCEL_POLL_MILLIS;
import static ai.igspark.collective.TcpRingCollective.closeQuietly;

import ai.igspark.collective.Collective.CollectiveException;
import ai.igspark.collective.Collective.DeadlineExceededException;
import ai.igspark.collective.RingHandshake.Responder;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.function.BooleanSupplier;

/**
 * Links a rank to both neighbours, one connection per lane each way: connects to the right
 * neighbour's listener (retrying while it is not up yet) and accepts the left neighbour on its
 * own, authenticating every connection with a {@link RingHandshake}, all on one thread under one
 * selector, within the connect deadline and ending within {@value
 * TcpRingCollective#CANCEL_POLL_MILLIS} ms of cancellation.
 *
 * <p>Whatever else reaches the listener is refused and logged without disturbing the ring: the
 * incoming connections wait their turn in accept order and then authenticate in {@link
 * PendingHandshakes}, whose deadline and eviction rules keep silent or slow clients from
 * displacing the neighbour.
 */
final class RingConnector {
  private static final System.Logger LOG = System.getLogger(TcpRingCollective.class.getName());
  private static final long CONNECT_RETRY_NANOS = 100_000_000L;
  /** Refusals logged one by one; after that only their count, so a flood cannot flood the log. */
  private static final int LOGGED_REFUSALS = 20;
  /** Refusals kept for the connect-timeout message. */
  private static final int KEPT_REFUSALS = 100;
  /**
   * Accepted connections waiting for a slot in {@link PendingHandshakes}, in accept order. They
   * are taken off the kernel's accept queue so that it never fills (a full one drops new
   * connection attempts, and TCP retries them only after 1, 3, 7 … s); each costs just its
   * descriptor until admitted. Beyond this many, a newcomer is closed before its challenge and a
   * ring peer connects again ({@link RingHandshake.Progress#TURNED_AWAY}).
   */
  static final int WAITING_CAPACITY = 4 * PendingHandshakes.CAPACITY;

  private final RingHandshake handshake;
  private final BooleanSupplier cancelled;
  private final int rank;
  private final PendingHandshakes<Responder> pending = new PendingHandshakes<>();
  private final ArrayDeque<SocketChannel> waiting = new ArrayDeque<>();
  private final List<String> refusals = new ArrayList<>();
  private int refused;
  /** Incoming connection of each lane, once its left neighbour has authenticated. */
  private SocketChannel[] joined = new SocketChannel[0];

  RingConnector(RingHandshake handshake, BooleanSupplier cancelled) {
    this.handshake = handshake;
    this.cancelled = cancelled;
    this.rank = handshake.rank();
  }

  /** Returns {to right, from left} per lane, all non-blocking. */
  SocketChannel[][] establish(
      ServerSocketChannel listener, InetSocketAddress right, Duration deadline) {
    int k = handshake.lanes();
    long deadlineNanos = System.nanoTime() + deadline.toNanos();
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
      while (joinedCount < k || !outbound.stream().allMatch(o -> o.done)) {
        long now = System.nanoTime();
        long remaining = deadlineNanos - now;
        if (remaining <= 0) {
          throw connectTimeout(deadline, outbound, joinedCount);
        }
        if (cancelled.getAsBoolean()) {
          throw new CollectiveException(
              "rank " + rank + ": cancelled while connecting the ring (the stage was aborted)");
        }
        for (Responder late : pending.expired(now)) {
          refuse(late.channel(), "no handshake within " + PendingHandshakes.HANDSHAKE_DEADLINE);
        }
        if (acceptKey.isValid()) { // until every lane has joined
          admitWaiting(selector, now);
        }
        long wait = Math.min(remaining, CANCEL_POLL_MILLIS * 1_000_000);
        wait = Math.min(wait, pending.untilNextDeadline(now));
        if (!waiting.isEmpty()) {
          wait = Math.min(wait, pending.untilEvictable(now));
        }
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
            acceptSome(listener);
          } else if (key.attachment() instanceof Outbound out) {
            out.step(key);
          } else if (key.attachment() instanceof Responder in && joined(in, key)
              && ++joinedCount == k) {
            acceptKey.cancel();
            closePending();
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
      closePending();
      if (refused > LOGGED_REFUSALS) {
        LOG.log(System.Logger.Level.WARNING,
            "rank {0}: refused {1} ring connections while connecting (the first {2} logged)",
            rank, refused, LOGGED_REFUSALS);
      }
    }
  }

  private void closePending() {
    for (Responder in : pending.clear()) {
      closeQuietly(in.channel());
    }
    for (SocketChannel ch : waiting) {
      closeQuietly(ch);
    }
    waiting.clear();
  }

  /** Steps one incoming handshake; true when it has just joined its lane. */
  private boolean joined(Responder in, SelectionKey key) {
    RingHandshake.Progress progress = in.step(key);
    if (progress == RingHandshake.Progress.REFUSED) {
      pending.remove(in);
      key.cancel();
      refuse(in.channel(), in.reason());
      return false;
    }
    if (progress != RingHandshake.Progress.DONE) {
      return false;
    }
    pending.remove(in);
    key.cancel();
    if (joined[in.lane()] != null) {
      closeQuietly(in.channel()); // a duplicate that raced the first one
      return false;
    }
    joined[in.lane()] = in.channel();
    return true;
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
      m.append("left neighbour rank ").append(handshake.left()).append(" did not join");
      if (joined.length > 1) {
        m.append(" (").append(joinedCount).append(" of ").append(joined.length)
            .append(" channels joined)");
      }
      if (refused > 0) {
        m.append(" (refused ").append(refused).append(" connection(s): ")
            .append(String.join("; ", refusals.subList(0, Math.min(5, refusals.size()))))
            .append(")");
      }
    }
    for (Outbound out : outbound) {
      if (!out.done) {
        if (!leftJoined) {
          m.append("; ");
        }
        m.append("right neighbour rank ").append((rank + 1) % handshake.worldSize())
            .append(" at ").append(out.address).append(" did not complete the handshake")
            .append(out.lastError == null ? "" : " (" + out.lastError + ")");
        break;
      }
    }
    return new DeadlineExceededException(m.toString(), deadline);
  }

  /**
   * Takes what the listener has into {@link #waiting}, at most a table's worth per call so that
   * a stream of newcomers cannot starve the handshakes already under way.
   */
  private void acceptSome(ServerSocketChannel listener) throws IOException {
    for (int i = 0; i < PendingHandshakes.CAPACITY; i++) {
      SocketChannel ch = listener.accept();
      if (ch == null) {
        return;
      }
      if (waiting.size() >= WAITING_CAPACITY) {
        refuse(ch, "too many connections waiting to authenticate");
      } else {
        waiting.add(ch);
      }
    }
  }

  /**
   * Starts the handshakes of waiting connections, in accept order, while there is a slot or a
   * silent connection to evict.
   */
  private void admitWaiting(Selector selector, long now) {
    while (!waiting.isEmpty()) {
      if (pending.isFull()) {
        Responder idle = pending.evictable(now);
        if (idle == null) {
          break;
        }
        pending.remove(idle);
        refuse(idle.channel(), "evicted: silent while others waited to authenticate");
      }
      SocketChannel ch = waiting.poll();
      Responder in = handshake.new Responder(ch, now, lane -> joined[lane] != null);
      try {
        ch.configureBlocking(false);
        ch.register(selector, SelectionKey.OP_WRITE, in);
        pending.add(in);
      } catch (IOException e) {
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
    refused++;
    if (refusals.size() < KEPT_REFUSALS) {
      refusals.add(line);
    }
    if (refused <= LOGGED_REFUSALS) {
      LOG.log(
          System.Logger.Level.WARNING, "rank {0}: refused ring connection from {1}", rank, line);
    }
    closeQuietly(ch);
  }

  /** The connection of one lane to the right neighbour: connect, retry, then the handshake. */
  private final class Outbound {
    final InetSocketAddress address;
    final int lane;
    SocketChannel channel;
    RingHandshake.Initiator initiator;
    long retryAt;
    boolean done;
    String lastError;

    Outbound(InetSocketAddress address, int lane) {
      this.address = address;
      this.lane = lane;
    }

    void start(Selector selector) throws IOException {
      retryAt = 0;
      initiator = null;
      channel = SocketChannel.open();
      channel.configureBlocking(false);
      channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
      if (channel.connect(address)) {
        initiator = handshake.new Initiator(channel, address, lane);
        channel.register(selector, SelectionKey.OP_READ, this);
      } else {
        channel.register(selector, SelectionKey.OP_CONNECT, this);
      }
    }

    void step(SelectionKey k) throws IOException {
      if (initiator == null) {
        try {
          channel.finishConnect();
        } catch (IOException e) {
          // Not listening yet (or a transient refusal): retry until the connect deadline.
          retryLater(k, e.toString());
          return;
        }
        initiator = handshake.new Initiator(channel, address, lane);
        k.interestOps(SelectionKey.OP_READ);
        return;
      }
      switch (initiator.step(k)) {
        case DONE -> {
          done = true;
          k.cancel();
        }
        case TURNED_AWAY ->
            retryLater(k, "closed before its challenge: the listener was busy or closing");
        default -> {}
      }
    }

    private void retryLater(SelectionKey k, String why) {
      lastError = why;
      k.cancel();
      closeQuietly(channel);
      retryAt = System.nanoTime() + CONNECT_RETRY_NANOS;
    }
  }
}
