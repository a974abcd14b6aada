package ai.igspark.train;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.igspark.collective.Collective;
import ai.igspark.tensor.DeviceTransfer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Sums the gradients of an executor's replicas and, over the ring, of every rank, one bucket at
 * a time (docs/ARCHITECTURE.md §4.3). For bucket k:
 *
 * <ol>
 *   <li>local reduction: every other replica's part of the bucket is added into replica 0's
 *       gradients, in replica order (deterministic, and the same float additions as a host
 *       loop); on devices, each replica's part is first gathered into a bucket buffer on its
 *       device and moved to replica 0's device in one copy;
 *   <li>with more than one rank: replica 0's part is gathered into its bucket buffer, copied to
 *       the host in one device→host copy, all-reduced over the ring, and copied back in one
 *       host→device copy;
 *   <li>the sum is copied into every replica's gradients (device to device for the others).
 * </ol>
 *
 * <p>A ring thread reduces bucket k while this thread prepares bucket k+1; two staging buffers
 * bound host memory to two buckets whatever the model size. Device bucket buffers are allocated
 * once and reused, so a step allocates no tensor memory. When every replica's memory is host
 * memory (CPU, no device emulation) the bucket buffers are skipped: segments go straight between
 * the gradients and the staging buffer, which halves the copies.
 */
public final class GradientSync implements AutoCloseable {
  private final GradientBuckets plan;
  private final Collective ring;
  private final int extraFloats;
  private final ExecutorService ringThread;
  private final ByteBuffer[] staging;
  /** Device path: {@code buffers[r][k % 2]} on replica r's device; made on first use. */
  private NDArray[][] buffers;
  /** Device path: {@code received[r]} on replica 0's device, replica r's bucket (r ≥ 1). */
  private NDArray[] received;
  private NDManager[] owners;
  private long stagedBytes;
  /** Calling-thread nanoseconds per phase (see {@link Phases}). */
  private final long[] nanos = new long[4];

  /**
   * @param plan the buckets over the model's trainable parameters
   * @param ring the collective over ranks, or null when this is the only rank
   * @param extraFloats floats summed over ranks with the last bucket (the step's loss sums)
   */
  public GradientSync(GradientBuckets plan, Collective ring, int extraFloats) {
    this.plan = plan;
    this.ring = ring;
    this.extraFloats = extraFloats;
    if (ring == null) {
      this.ringThread = null;
      this.staging = new ByteBuffer[0];
    } else {
      this.ringThread =
          Executors.newSingleThreadExecutor(
              r -> {
                Thread t = new Thread(r, "igspark-gradient-ring");
                t.setDaemon(true);
                return t;
              });
      int floats = Math.addExact(plan.largestBucket(), extraFloats);
      this.staging = new ByteBuffer[Math.min(2, plan.buckets().size())];
      for (int i = 0; i < staging.length; i++) {
        staging[i] =
            ByteBuffer.allocateDirect(Math.multiplyExact(floats, 4)).order(ByteOrder.nativeOrder());
      }
    }
  }

  /** Host bytes of the staging buffers: two buckets at most, 0 without a ring. */
  public long stagingBytes() {
    long n = 0;
    for (ByteBuffer b : staging) {
      n += b.capacity();
    }
    return n;
  }

  /** Bytes copied between devices and the host so far (both directions). */
  public long stagedBytes() {
    return stagedBytes;
  }

  /**
   * Calling-thread time per phase so far, in seconds: local reduction over replicas, device→host
   * (with the gather), waiting for the ring, host→device plus the copies into every replica.
   */
  public record Phases(double localReduce, double toHost, double ringWait, double toReplicas) {}

  public Phases phases() {
    return new Phases(nanos[0] / 1e9, nanos[1] / 1e9, nanos[2] / 1e9, nanos[3] / 1e9);
  }

  /**
   * Replaces every replica's gradients by their sum over replicas and ranks.
   *
   * @param grads {@code grads.get(r)}: replica r's float32 gradients in parameter order
   * @param extras this rank's extra floats (loss sums), summed over ranks
   * @return the summed extras
   */
  public float[] allReduce(List<List<NDArray>> grads, float[] extras) {
    if (extras.length != extraFloats) {
      throw new IllegalArgumentException(
          "expected " + extraFloats + " extra floats, got " + extras.length);
    }
    float[] summed = extras.clone();
    if (ring == null && grads.size() == 1) {
      return summed;
    }
    try (Replicas replicas = new Replicas(grads)) {
      Pending inFlight = null;
      for (int k = 0; k < plan.buckets().size(); k++) {
        Pending next = start(k, replicas, extras);
        if (inFlight != null) {
          finish(inFlight, replicas, summed);
        }
        inFlight = next;
      }
      if (inFlight != null) {
        finish(inFlight, replicas, summed);
      }
    }
    return summed;
  }

  /** Reduces bucket k over the replicas, downloads it and hands it to the ring thread. */
  private Pending start(int k, Replicas replicas, float[] extras) {
    long t0 = System.nanoTime();
    GradientBuckets.Bucket bucket = plan.buckets().get(k);
    NDManager[] managers = replicas.bucketManagers();
    NDArray gathered = null;
    if (replicas.hostResident()) {
      for (int r = 1; r < replicas.count(); r++) {
        for (GradientBuckets.Segment s : bucket.segments()) {
          replicas.segment(0, s, managers[0]).addi(replicas.segment(r, s, managers[r]));
        }
      }
    } else {
      for (int r = 1; r < replicas.count(); r++) {
        NDArray own = bucketBuffer(replicas, r, k, bucket, managers[r]);
        replicas.gather(r, bucket, own, managers[r]);
        NDArray moved = slice(received(replicas, r), bucket, managers[0]);
        moved.set(new NDIndex(":"), own); // one copy to replica 0's device
        for (GradientBuckets.Segment s : bucket.segments()) {
          replicas.segment(0, s, managers[0]).addi(
              keep(moved.get(range(s.offset(), s.offset() + (long) s.length())), managers[0]));
        }
      }
      gathered = bucketBuffer(replicas, 0, k, bucket, managers[0]);
      replicas.gather(0, bucket, gathered, managers[0]);
    }
    long t1 = System.nanoTime();
    nanos[0] += t1 - t0;
    if (ring == null) {
      return new Pending(k, managers, gathered, null);
    }
    boolean last = k == plan.buckets().size() - 1;
    ByteBuffer st = staging[k % staging.length];
    st.clear();
    FloatBuffer floats = st.asFloatBuffer();
    if (gathered != null) {
      DeviceTransfer.download(gathered, floats);
    } else {
      for (GradientBuckets.Segment s : bucket.segments()) {
        DeviceTransfer.download(replicas.segment(0, s, managers[0]), floats);
      }
    }
    if (last) {
      floats.put(extras);
    }
    st.limit(4 * (bucket.floats() + (last ? extraFloats : 0)));
    stagedBytes += 4L * bucket.floats();
    nanos[1] += System.nanoTime() - t1;
    Future<?> reduced = ringThread.submit(() -> ring.allReduceSum(st, Collective.Phase.STEP));
    return new Pending(k, managers, gathered, reduced);
  }

  /** Waits for bucket k's ring pass, uploads it and copies it into every replica. */
  private void finish(Pending p, Replicas replicas, float[] summed) {
    GradientBuckets.Bucket bucket = plan.buckets().get(p.bucket);
    try {
      long t0 = System.nanoTime();
      ByteBuffer st = null;
      if (p.reduced != null) {
        await(p.reduced);
        nanos[2] += System.nanoTime() - t0;
        t0 = System.nanoTime();
        st = staging[p.bucket % staging.length];
        stagedBytes += 4L * bucket.floats();
        if (p.bucket == plan.buckets().size() - 1) {
          st.asFloatBuffer().get(bucket.floats(), summed, 0, extraFloats);
        }
      }
      if (replicas.hostResident()) {
        for (int r = 0; r < replicas.count(); r++) {
          for (GradientBuckets.Segment s : bucket.segments()) {
            NDArray target = replicas.segment(r, s, p.managers[r]);
            if (st != null) {
              DeviceTransfer.writeInto(target, st.duplicate().position(4 * s.offset()));
            } else if (r > 0) {
              target.set(new NDIndex(":"), replicas.segment(0, s, p.managers[0]));
            }
          }
        }
      } else {
        NDArray total = p.gathered;
        if (st != null) {
          DeviceTransfer.writeInto(total, st); // one host→device copy
          replicas.scatter(0, bucket, total, p.managers[0]);
        }
        for (int r = 1; r < replicas.count(); r++) {
          NDArray own = bucketBuffer(replicas, r, p.bucket, bucket, p.managers[r]);
          own.set(new NDIndex(":"), total); // device to device
          replicas.scatter(r, bucket, own, p.managers[r]);
        }
      }
      nanos[3] += System.nanoTime() - t0;
    } finally {
      for (NDManager m : p.managers) {
        m.close();
      }
    }
  }

  /** Replica r's device buffer for bucket k, cut to the bucket's length. */
  private NDArray bucketBuffer(
      Replicas replicas, int r, int k, GradientBuckets.Bucket bucket, NDManager m) {
    allocate(replicas);
    return slice(buffers[r][k % buffers[r].length], bucket, m);
  }

  private NDArray received(Replicas replicas, int r) {
    allocate(replicas);
    return received[r];
  }

  /** Two bucket buffers per replica on its device, one receive buffer per other replica. */
  private void allocate(Replicas replicas) {
    int n = replicas.count();
    if (buffers != null) {
      if (buffers.length != n) {
        throw new IllegalArgumentException(
            "GradientSync was first used with " + buffers.length + " replicas, now " + n);
      }
      return;
    }
    Shape shape = new Shape(plan.largestBucket());
    buffers = new NDArray[n][Math.min(2, plan.buckets().size())];
    received = new NDArray[n];
    owners = new NDManager[n];
    for (int r = 0; r < n; r++) {
      owners[r] = NDManager.newBaseManager(replicas.device(r));
      for (int j = 0; j < buffers[r].length; j++) {
        buffers[r][j] = persistent(owners[r].create(shape, DataType.FLOAT32));
      }
    }
    for (int r = 1; r < n; r++) {
      received[r] = persistent(owners[0].create(shape, DataType.FLOAT32));
    }
  }

  /** Kept across calls: out of any {@link NDScope} open around the first call. */
  private static NDArray persistent(NDArray a) {
    NDScope.unregister(a);
    return a;
  }

  private static NDArray slice(NDArray buffer, GradientBuckets.Bucket bucket, NDManager m) {
    return keep(buffer.get(range(0, bucket.floats())), m);
  }

  private static NDIndex range(long from, long to) {
    return new NDIndex("{}:{}", from, to);
  }

  private static void await(Future<?> f) {
    try {
      f.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new Collective.CollectiveException("interrupted while waiting for the ring", e);
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof RuntimeException re) {
        throw re;
      }
      if (cause instanceof Error err) {
        throw err;
      }
      throw new Collective.CollectiveException("gradient all-reduce failed", cause);
    }
  }

  /** Attaches {@code a} to {@code m}, which closes it. */
  private static NDArray keep(NDArray a, NDManager m) {
    if (a.getManager() != m) {
      a.attach(m);
    }
    return a;
  }

  /** Stops the ring thread (a call in flight ends when the collective is closed). */
  @Override
  public void close() {
    if (ringThread != null) {
      ringThread.shutdownNow();
    }
    if (owners != null) {
      for (NDManager m : owners) {
        m.close();
      }
    }
  }

  /** A bucket between its download and its write-back. */
  private record Pending(int bucket, NDManager[] managers, NDArray gathered, Future<?> reduced) {}

  /** The replicas' gradients as flat views, with a manager per replica for this call. */
  private static final class Replicas implements AutoCloseable {
    private final NDManager[] call;
    private final List<NDArray[]> flat = new ArrayList<>();
    private final boolean hostResident;

    Replicas(List<List<NDArray>> grads) {
      this.call = new NDManager[grads.size()];
      boolean host = true;
      for (int r = 0; r < call.length; r++) {
        NDArray first = grads.get(r).get(0);
        call[r] = first.getManager().newSubManager(first.getDevice());
        host &= DeviceTransfer.sharesHostMemory(first);
        NDArray[] views = new NDArray[grads.get(r).size()];
        for (int p = 0; p < views.length; p++) {
          NDArray g = grads.get(r).get(p);
          if (g.getDataType() != DataType.FLOAT32) {
            throw new IllegalArgumentException("gradients must be float32, got " + g.getDataType());
          }
          views[p] = keep(g.flatten(), call[r]);
        }
        flat.add(views);
      }
      this.hostResident = host;
    }

    int count() {
      return call.length;
    }

    Device device(int r) {
      return call[r].getDevice();
    }

    /** Whether every replica's memory is host memory (no bucket buffers needed). */
    boolean hostResident() {
      return hostResident;
    }

    NDManager[] bucketManagers() {
      NDManager[] m = new NDManager[call.length];
      for (int r = 0; r < m.length; r++) {
        m[r] = call[r].newSubManager();
      }
      return m;
    }

    /** Replica r's elements of one segment: a view of its gradient. */
    NDArray segment(int r, GradientBuckets.Segment s, NDManager m) {
      return keep(flat.get(r)[s.parameter()].get(range(s.from(), s.to())), m);
    }

    /** Copies replica r's segments of the bucket into {@code into}, in place. */
    void gather(int r, GradientBuckets.Bucket bucket, NDArray into, NDManager m) {
      for (GradientBuckets.Segment s : bucket.segments()) {
        into.set(range(s.offset(), (long) s.offset() + s.length()), segment(r, s, m));
      }
    }

    /** Copies a bucket's values into replica r's gradients, segment by segment, in place. */
    void scatter(int r, GradientBuckets.Bucket bucket, NDArray values, NDManager m) {
      for (GradientBuckets.Segment s : bucket.segments()) {
        NDArray part = keep(values.get(range(s.offset(), (long) s.offset() + s.length())), m);
        segment(r, s, m).set(new NDIndex(":"), part);
      }
    }

    @Override
    public void close() {
      for (NDManager m : call) {
        m.close();
      }
    }
  }
}
