package ai.igspark.collective;

import static ai.igspark.collective.TcpRingCollective.CANCEL_POLL_MILLIS;
import static ai.igspark.collective.TcpRingCollective.closeQuietly;

import ai.igspark.collective.Collective.CollectiveException;
import ai.igspark.collective.Collective.DeadlineExceededException;
import ai.igspark.collective.Collective.Phase;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.function.BooleanSupplier;

/**
 * One ring step's transfer on one lane: send a buffer to the right neighbour while receiving from
 * the left one, both sockets non-blocking under one {@link Selector} driven by the caller's
 * thread, within the step's deadline and ending within {@value
 * TcpRingCollective#CANCEL_POLL_MILLIS} ms of cancellation. What happens to the incoming bytes
 * as they arrive (reduced, decoded, or just stored) is the {@link Receiver}'s business.
 *
 * <p>Not thread-safe: one per lane.
 */
final class DuplexExchange implements AutoCloseable {

  /** One all-reduce call: its number (checked against the neighbours), phase and deadline. */
  record Call(long number, Phase phase, Duration deadline) {}

  /** The two neighbours of this rank, as named in error messages. */
  record Neighbours(
      int leftRank, InetSocketAddress leftAddress, int rightRank, InetSocketAddress rightAddress) {}

  /** The receiving half of one exchange. */
  interface Receiver {
    /** Bytes this exchange receives. */
    int bytes();

    /** The buffer the next read fills, {@code received} bytes into this exchange. */
    ByteBuffer buffer(int received);

    /** Called after every read that brought bytes; {@code received} counts all of them so far. */
    void arrived(int received);
  }

  /** Receives into {@code in}, its remaining bytes, with nothing done on arrival. */
  static Receiver into(ByteBuffer in) {
    int bytes = in.remaining();
    return new Receiver() {
      @Override
      public int bytes() {
        return bytes;
      }

      @Override
      public ByteBuffer buffer(int received) {
        return in;
      }

      @Override
      public void arrived(int received) {}
    };
  }

  private final String who;
  private final Neighbours neighbours;
  private final SocketChannel toRight;
  private final SocketChannel fromLeft;
  private final BooleanSupplier cancelled;
  private final Selector selector;
  private final SelectionKey writeKey;
  private final SelectionKey readKey;

  /** Takes over both (non-blocking) channels; {@link #close} closes them. */
  DuplexExchange(
      String who,
      SocketChannel toRight,
      SocketChannel fromLeft,
      Neighbours neighbours,
      BooleanSupplier cancelled)
      throws IOException {
    this.who = who;
    this.neighbours = neighbours;
    this.toRight = toRight;
    this.fromLeft = fromLeft;
    this.cancelled = cancelled;
    tune(toRight);
    tune(fromLeft);
    selector = Selector.open();
    writeKey = toRight.register(selector, 0);
    readKey = fromLeft.register(selector, 0);
  }

  /** Socket buffers stay kernel-tuned: fixed 1–4 MiB buffers measured no better on loopback. */
  private static void tune(SocketChannel ch) throws IOException {
    ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
  }

  Neighbours neighbours() {
    return neighbours;
  }

  /**
   * Sends the remaining bytes of {@code out} while receiving {@code in.bytes()}; returns when
   * both are done. {@code step} names the step in errors.
   */
  void exchange(ByteBuffer out, Receiver in, String step, Call call) throws IOException {
    long deadlineNanos = System.nanoTime() + call.deadline().toNanos();
    int inBytes = in.bytes();
    int outBytes = out.remaining();
    int received = 0;
    while (out.hasRemaining() || received < inBytes) {
      boolean moved = false;
      if (out.hasRemaining() && toRight.write(out) > 0) {
        moved = true;
      }
      if (received < inBytes) {
        int k = fromLeft.read(in.buffer(received));
        if (k < 0) {
          throw new CollectiveException(
              who + ": left neighbour rank " + neighbours.leftRank() + " ("
                  + neighbours.leftAddress() + ") closed the connection during " + step
                  + " (received " + received + " of " + inBytes
                  + " bytes); it failed or was stopped");
        }
        if (k > 0) {
          moved = true;
          received += k;
          in.arrived(received);
        }
      }
      if (!moved) {
        long remaining = deadlineNanos - System.nanoTime();
        if (remaining <= 0) {
          int sent = outBytes - out.remaining();
          throw timeout(sent, outBytes, received, inBytes, step, call);
        }
        if (Thread.currentThread().isInterrupted() || cancelled.getAsBoolean()) {
          throw new CollectiveException(who + ": cancelled during " + step);
        }
        await(out.hasRemaining(), received < inBytes, remaining);
      }
    }
  }

  /** Waits until a socket that still has work is ready, the deadline or the next cancel poll. */
  private void await(boolean writing, boolean reading, long remainingNanos) throws IOException {
    int writeOps = writing ? SelectionKey.OP_WRITE : 0;
    int readOps = reading ? SelectionKey.OP_READ : 0;
    if (writeKey.interestOps() != writeOps) {
      writeKey.interestOps(writeOps);
    }
    if (readKey.interestOps() != readOps) {
      readKey.interestOps(readOps);
    }
    selector.select(
        Math.max(1, Math.min(CANCEL_POLL_MILLIS, (remainingNanos + 999_999) / 1_000_000)));
    selector.selectedKeys().clear();
  }

  private DeadlineExceededException timeout(
      int sent, int outBytes, int received, int inBytes, String step, Call call) {
    String what =
        received < inBytes
            ? "left neighbour rank " + neighbours.leftRank() + " (" + neighbours.leftAddress()
                + ") sent " + received + " of " + inBytes + " bytes"
            : "right neighbour rank " + neighbours.rightRank() + " ("
                + neighbours.rightAddress() + ") accepted " + sent + " of " + outBytes + " bytes";
    return new DeadlineExceededException(
        who + ": " + what + " within the " + call.phase() + " deadline of " + call.deadline()
            + " during " + step + " of call #" + call.number()
            + "; the peer is dead, stuck or slower than the deadline allows",
        call.deadline());
  }

  /** Closing the selector first wakes a thread blocked in it, so it fails at once. */
  @Override
  public void close() {
    closeQuietly(selector);
    closeQuietly(toRight);
    closeQuietly(fromLeft);
  }
}
