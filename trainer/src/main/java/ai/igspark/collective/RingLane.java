package ai.igspark.collective;

import static ai.igspark.collective.TcpRingCollective.chunkLength;
import static ai.igspark.collective.TcpRingCollective.chunkStart;
import static ai.igspark.collective.TcpRingCollective.closeQuietly;

import ai.igspark.collective.Collective.CollectiveException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.channels.SocketChannel;
import java.util.function.BooleanSupplier;

/**
 * One ring over its own pair of connections, driven by one thread: all-reduces a contiguous part
 * of each call's buffer, bucket by bucket, each bucket in the steps of its {@link LaneSchedule},
 * each step's chunks encoded and reduced by its {@link WireCodec} and moved by its {@link
 * DuplexExchange}. Several lanes run side by side when {@link RingOptions#channels()} > 1.
 *
 * <p>Data that is not a direct little-endian buffer is copied through a direct bounce buffer one
 * bucket at a time.
 */
final class RingLane implements AutoCloseable {

  /**
   * Floats {@code [base, base+n)} of {@code direct} (a direct little-endian buffer whose index 0
   * is float 0) or, when that is null, of {@code floats}.
   */
  record Region(ByteBuffer direct, FloatBuffer floats, int base, int n) {
    /** Part c of k, cut like chunks. */
    Region part(int c, int k) {
      return new Region(direct, floats, base + chunkStart(n, c, k), chunkLength(n, c, k));
    }
  }

  private final String who;
  private final int bucketFloats;
  private final LaneSchedule schedule;
  private final WireCodec codec;
  private final DuplexExchange exchange;
  private final ByteBuffer headerOut = ByteBuffer.allocateDirect(16);
  private final ByteBuffer headerIn = ByteBuffer.allocateDirect(16);
  private ByteBuffer bounce;
  private FloatBuffer bounceFloats;

  /**
   * One lane per pair of links ({to right, from left}, as {@link RingConnector} returns them);
   * on failure closes every link and throws.
   */
  static RingLane[] openAll(int rank, int worldSize, RingOptions options, SocketChannel[][] links,
      DuplexExchange.Neighbours neighbours, BooleanSupplier cancelled) {
    RingLane[] lanes = new RingLane[links.length];
    try {
      for (int c = 0; c < lanes.length; c++) {
        String who = lanes.length == 1 ? "rank " + rank : "rank " + rank + " lane " + c;
        DuplexExchange exchange =
            new DuplexExchange(who, links[c][0], links[c][1], neighbours, cancelled);
        lanes[c] = new RingLane(who, rank, worldSize, options, exchange);
      }
      return lanes;
    } catch (IOException e) {
      for (SocketChannel[] pair : links) {
        closeQuietly(pair[0]);
        closeQuietly(pair[1]);
      }
      for (RingLane lane : lanes) {
        closeQuietly(lane);
      }
      throw new CollectiveException("rank " + rank + ": cannot set up the ring selector", e);
    }
  }

  /** Takes over {@code exchange}; {@link #close} closes it. */
  RingLane(String who, int rank, int worldSize, RingOptions options, DuplexExchange exchange) {
    this.who = who;
    this.bucketFloats = options.bucketBytes() / 4;
    this.schedule = new LaneSchedule(rank, worldSize);
    this.codec = WireCodec.of(options, rank, worldSize);
    this.exchange = exchange;
  }

  void allReduce(Region data, DuplexExchange.Call call) throws IOException {
    int n = data.n();
    exchangeHeader(n, call);
    if (n == 0) {
      return;
    }
    if (data.direct() == null) {
      ensureBounce(Math.min(bucketFloats, n));
      codec.bind(bounce);
    } else {
      codec.bind(data.direct());
    }
    for (int start = 0; start < n; start += bucketFloats) {
      int len = Math.min(bucketFloats, n - start);
      if (data.direct() != null) {
        reduceBucket(data.base() + start, len, call);
      } else {
        bounceFloats.put(0, data.floats(), data.base() + start, len);
        reduceBucket(0, len, call);
        data.floats().put(data.base() + start, bounceFloats, 0, len);
      }
    }
  }

  private void ensureBounce(int floats) {
    if (bounce == null || bounce.capacity() < 4 * floats) {
      bounce = ByteBuffer.allocateDirect(4 * floats).order(ByteOrder.LITTLE_ENDIAN);
      bounceFloats = bounce.asFloatBuffer();
    }
  }

  /** Every call starts by checking that both neighbours run the same call on the same length. */
  private void exchangeHeader(int n, DuplexExchange.Call call) throws IOException {
    headerOut.clear();
    headerOut.putLong(call.number()).putLong(n).flip();
    headerIn.clear();
    exchange.exchange(headerOut, DuplexExchange.into(headerIn), "start", call);
    long leftCall = headerIn.getLong(0);
    long leftN = headerIn.getLong(8);
    if (leftCall != call.number() || leftN != n) {
      throw new CollectiveException(
          who + " all-reduces " + n + " floats in call #" + call.number()
              + " but its left neighbour rank " + exchange.neighbours().leftRank()
              + " all-reduces " + leftN + " floats in call #" + leftCall
              + ": every rank must make the same calls with the same lengths");
    }
  }

  /** Reduces floats {@code [off, off+len)} of the bound data. */
  private void reduceBucket(int off, int len, DuplexExchange.Call call) throws IOException {
    codec.startBucket(off, len);
    for (LaneSchedule.Step step : schedule.steps()) {
      DuplexExchange.Receiver in =
          step.reduce()
              ? codec.reduceInto(step.recvChunk(), step.lastReduce())
              : codec.gatherInto(step.recvChunk());
      exchange.exchange(codec.send(step.sendChunk()), in, step.label(), call);
      codec.stepDone();
    }
  }

  @Override
  public void close() {
    exchange.close();
  }
}
