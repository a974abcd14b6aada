package ai.igspark.collective;

import static ai.igspark.collective.TcpRingCollective.chunkLength;
import static ai.igspark.collective.TcpRingCollective.chunkStart;

import ai.igspark.collective.DuplexExchange.Receiver;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.nio.ShortBuffer;

/**
 * What one lane puts on the wire for a chunk and what it does with the chunks that arrive, for
 * one {@link RingOptions.WireDtype}: the fp32 wire sends and receives the data's own bytes, the
 * bf16 wire encodes with {@link Bf16Blocks}. Works on a bound region of data (a direct
 * little-endian buffer, float 0 at index 0) one bucket at a time.
 *
 * <p>Reduce-scatter receives into {@link #staging}, a small buffer reused cyclically, whose
 * elements are added into the data as they arrive, while still in cache: data[c] = incoming +
 * data[c], the fixed order of {@link TcpRingCollective}.
 *
 * <p>Not thread-safe: one per lane.
 */
abstract sealed class WireCodec permits WireCodec.Fp32Wire, WireCodec.Bf16Wire {

  /** Incoming bytes are reduced in slices of at least this size while the rest still arrives. */
  static final int REDUCE_SLICE_BYTES = 64 << 10;

  /** Reduce-scatter receive buffer per lane: a few slices, so it stays in the core's cache. */
  private static final int STAGING_BYTES = 256 << 10;

  /** Floats per bulk copy in the reduction loop: two such arrays fit in a core's L1 cache. */
  private static final int SCRATCH_FLOATS = 2048;

  static WireCodec of(RingOptions options, int rank, int worldSize) {
    return options.wireDtype() == RingOptions.WireDtype.BF16
        ? new Bf16Wire(rank, worldSize, options.bucketBytes() / 4)
        : new Fp32Wire(rank, worldSize);
  }

  final int rank;
  final int worldSize;
  private final int wireBytes;
  final ByteBuffer staging =
      ByteBuffer.allocateDirect(STAGING_BYTES).order(ByteOrder.LITTLE_ENDIAN);
  private final Staged staged = new Staged();
  // Views of the data being reduced, made once per call (sends and receives move their own
  // position and limit; the floats view indexes the data from its start).
  ByteBuffer sendView;
  ByteBuffer recvView;
  FloatBuffer dataFloats;
  IntBuffer dataInts;
  /** The bucket being reduced: floats [off, off+len) of the data. */
  int off;
  int len;

  private WireCodec(int rank, int worldSize, int wireBytes) {
    this.rank = rank;
    this.worldSize = worldSize;
    this.wireBytes = wireBytes;
  }

  /** Works on {@code region} (direct, little-endian) until the next bind. */
  final void bind(ByteBuffer region) {
    sendView = region.duplicate();
    recvView = region.duplicate();
    dataFloats = region.duplicate().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
    dataInts = region.duplicate().order(ByteOrder.LITTLE_ENDIAN).asIntBuffer();
  }

  /** Starts the bucket of floats {@code [off, off+len)}. */
  void startBucket(int off, int len) {
    this.off = off;
    this.len = len;
  }

  /** The bytes to send for chunk c of the bucket in this step. */
  abstract ByteBuffer send(int c);

  /** Receives chunk c and adds it into this rank's; {@code last}: the sum is then complete. */
  final Receiver reduceInto(int c, boolean last) {
    return staged.start(off + chunkStart(len, c, worldSize), chunkLength(len, c, worldSize), last);
  }

  /** Receives chunk c's complete sum into the data. */
  abstract Receiver gatherInto(int c);

  /** Called after every step. */
  void stepDone() {}

  /**
   * Adds the elements whose bytes have arrived in {@link #staging} ({@code bytes} of them, from
   * element {@code done} of a chunk of {@code m} whose element 0 is data index {@code at}) into
   * the data; returns how many elements it used (whole elements, bf16: whole blocks).
   */
  abstract int reduceArrived(int at, int done, int m, int bytes, boolean last);

  /** {@code view} limited to the bytes of chunk c of the bucket. */
  final ByteBuffer chunk(ByteBuffer view, int c) {
    int start = 4 * (off + chunkStart(len, c, worldSize));
    view.clear().position(start).limit(start + 4 * chunkLength(len, c, worldSize));
    return view;
  }

  /**
   * Reduce-scatter's receive: fills the staging, reduces whenever a slice is there or the
   * staging is full, and keeps the bytes of an incomplete element or bf16 block for the next read.
   */
  private final class Staged implements Receiver {
    private int at;
    private int m;
    private boolean last;
    private int done; // elements reduced

    Staged start(int at, int m, boolean last) {
      this.at = at;
      this.m = m;
      this.last = last;
      done = 0;
      staging.clear();
      return this;
    }

    @Override
    public int bytes() {
      return m * wireBytes;
    }

    @Override
    public ByteBuffer buffer(int received) {
      staging.limit(Math.min(staging.capacity(), staging.position() + bytes() - received));
      return staging;
    }

    @Override
    public void arrived(int received) {
      if (received == bytes() || !staging.hasRemaining()
          || staging.position() >= REDUCE_SLICE_BYTES) {
        int bytes = staging.position();
        int k = reduceArrived(at, done, m, bytes, last);
        staging.limit(bytes).position(k * wireBytes);
        staging.compact();
        done += k;
      }
    }
  }

  /** fp32 on the wire: chunks go out from the data and all-gather lands straight in it. */
  static final class Fp32Wire extends WireCodec {
    private final FloatBuffer stagingFloats = staging.asFloatBuffer();
    // The reduction runs on arrays: bulk copies in and out, and a plain loop between them that
    // the JIT vectorises (per-element FloatBuffer get/put measured 30–50% slower).
    private final float[] incoming = new float[SCRATCH_FLOATS];
    private final float[] own = new float[SCRATCH_FLOATS];

    Fp32Wire(int rank, int worldSize) {
      super(rank, worldSize, 4);
    }

    @Override
    ByteBuffer send(int c) {
      return chunk(sendView, c);
    }

    @Override
    Receiver gatherInto(int c) {
      return DuplexExchange.into(chunk(recvView, c));
    }

    /**
     * data[at+i] = staging[i] + data[at+i]: the partial sum of the ranks to the left, plus this
     * rank's value (the fixed order of the class comment).
     */
    @Override
    int reduceArrived(int at, int done, int m, int bytes, boolean last) {
      int k = bytes / 4;
      int base = at + done;
      for (int i = 0; i < k; i += SCRATCH_FLOATS) {
        int n = Math.min(SCRATCH_FLOATS, k - i);
        stagingFloats.get(i, incoming, 0, n);
        dataFloats.get(base + i, own, 0, n);
        for (int j = 0; j < n; j++) {
          own[j] = incoming[j] + own[j];
        }
        dataFloats.put(base + i, own, 0, n);
      }
      return k;
    }
  }

  /**
   * bf16 on the wire: two chunk-sized buffers, "being sent" and "being filled", swapped after
   * every step. Reduce-scatter writes its encoded sums into the one being filled, so the next
   * step forwards them; all-gather forwards the owner's encoded bytes unchanged and decodes them
   * into the data as they arrive.
   */
  static final class Bf16Wire extends WireCodec {
    private final int bucketFloats;
    private final ShortBuffer stagingShorts = staging.asShortBuffer();
    private final IntBuffer stagingInts = staging.asIntBuffer();
    private final Bf16Blocks bf16 = new Bf16Blocks();
    private final ByteBuffer[] wire = new ByteBuffer[2];
    private final ShortBuffer[] wireShorts = new ShortBuffer[2];
    private final IntBuffer[] wireInts = new IntBuffer[2];
    private final Decoding decoding = new Decoding();
    private int send;
    private int next;

    Bf16Wire(int rank, int worldSize, int bucketFloats) {
      super(rank, worldSize, 2);
      this.bucketFloats = bucketFloats;
    }

    /** Encodes this rank's own chunk, the first one it sends. */
    @Override
    void startBucket(int off, int len) {
      super.startBucket(off, len);
      ensureWire(len / worldSize + 1);
      send = 0;
      next = 1;
      int own = chunkLength(len, rank, worldSize);
      bf16.encode(dataInts, off + chunkStart(len, rank, worldSize), 0, own, own, wireInts[send],
          wireShorts[send]);
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

    @Override
    ByteBuffer send(int c) {
      wire[send].clear().limit(2 * chunkLength(len, c, worldSize));
      return wire[send];
    }

    @Override
    Receiver gatherInto(int c) {
      int m = chunkLength(len, c, worldSize);
      wire[next].clear().limit(2 * m);
      return decoding.start(off + chunkStart(len, c, worldSize), m);
    }

    @Override
    void stepDone() {
      int t = send;
      send = next;
      next = t;
    }

    @Override
    int reduceArrived(int at, int done, int m, int bytes, boolean last) {
      int k = Bf16Blocks.ready(m, done + bytes / 2) - done;
      bf16.reduce(stagingInts, stagingShorts, done, done + k, m, dataFloats, dataInts, at,
          wireInts[next], wireShorts[next], last);
      return k;
    }

    /** All-gather's receive into the buffer being filled, decoded slice by slice. */
    private final class Decoding implements Receiver {
      private int at;
      private int m;
      private int done; // elements decoded

      Decoding start(int at, int m) {
        this.at = at;
        this.m = m;
        done = 0;
        return this;
      }

      @Override
      public int bytes() {
        return 2 * m;
      }

      @Override
      public ByteBuffer buffer(int received) {
        return wire[next];
      }

      @Override
      public void arrived(int received) {
        int ready = Bf16Blocks.ready(m, received / 2);
        if (received == bytes() || 2 * (ready - done) >= REDUCE_SLICE_BYTES) {
          bf16.decode(wireInts[next], wireShorts[next], done, ready, m, dataInts, at);
          done = ready;
        }
      }
    }
  }
}
