package ai.igspark.train;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.igspark.data.tensor.DeviceTransfer;
import ai.igspark.dist.Collective;
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
 *   <li>one {@code cat} per replica gathers the bucket's gradient segments on its device;
 *   <li>the replicas' buckets are summed on replica 0's device in replica order (deterministic,
 *       and the same float additions as summing on the host);
 *   <li>with more than one rank: one device→host copy into a staging buffer, the ring all-reduce
 *       on that buffer, one host→device copy back;
 *   <li>the sum is copied into every replica's gradients (device to device for the others).
 * </ol>
 *
 * <p>A ring thread reduces bucket k while this thread gathers and downloads bucket k+1; two
 * staging buffers bound host memory to two buckets whatever the model size. Arrays made for a
 * bucket live in that bucket's managers and are closed when it is written back, so device memory
 * also stays at about two buckets per replica and nothing accumulates in the model's managers.
 */
public final class GradientSync implements AutoCloseable {
  private final GradientBuckets plan;
  private final Collective ring;
  private final int extraFloats;
  private final ExecutorService ringThread;
  private final ByteBuffer[] staging;
  private long stagedBytes;

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
    Replicas replicas = new Replicas(grads);
    try {
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
    } finally {
      replicas.close();
    }
    return summed;
  }

  /** Gathers, sums and (with a ring) downloads bucket k, and hands it to the ring thread. */
  private Pending start(int k, Replicas replicas, float[] extras) {
    GradientBuckets.Bucket bucket = plan.buckets().get(k);
    NDManager[] managers = replicas.bucketManagers();
    NDArray sum = null;
    for (int r = 0; r < replicas.count(); r++) {
      NDArray flat = replicas.gather(r, bucket, managers[r]);
      if (sum == null) {
        sum = flat;
      } else {
        NDArray moved = own(flat.toDevice(replicas.device(0), false), managers[0]);
        sum = own(sum.add(moved), managers[0]);
      }
    }
    if (ring == null) {
      return new Pending(k, managers, sum, null);
    }
    boolean last = k == plan.buckets().size() - 1;
    ByteBuffer st = staging[k % staging.length];
    st.clear();
    FloatBuffer floats = st.asFloatBuffer();
    DeviceTransfer.download(sum, floats);
    if (last) {
      floats.put(extras);
    }
    st.limit(4 * (bucket.floats() + (last ? extraFloats : 0)));
    stagedBytes += 4L * bucket.floats();
    Future<?> reduced = ringThread.submit(() -> ring.allReduceSum(st, Collective.Phase.STEP));
    return new Pending(k, managers, sum, reduced);
  }

  /** Waits for bucket k's ring pass, uploads it and copies it into every replica. */
  private void finish(Pending p, Replicas replicas, float[] summed) {
    GradientBuckets.Bucket bucket = plan.buckets().get(p.bucket);
    try {
      NDArray total = p.sum;
      if (p.reduced != null) {
        await(p.reduced);
        ByteBuffer st = staging[p.bucket % staging.length];
        total = own(p.managers[0].create(new Shape(bucket.floats()), DataType.FLOAT32),
            p.managers[0]);
        DeviceTransfer.writeInto(total, st);
        stagedBytes += 4L * bucket.floats();
        if (p.bucket == plan.buckets().size() - 1) {
          st.asFloatBuffer().get(bucket.floats(), summed, 0, extraFloats);
        }
      }
      for (int r = 0; r < replicas.count(); r++) {
        NDArray onDevice =
            r == 0 ? total : own(total.toDevice(replicas.device(r), false), p.managers[r]);
        replicas.scatter(r, bucket, onDevice, p.managers[r]);
      }
    } finally {
      for (NDManager m : p.managers) {
        m.close();
      }
    }
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

  private static NDArray own(NDArray a, NDManager m) {
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
  }

  /** A bucket between its download and its write-back. */
  private record Pending(int bucket, NDManager[] managers, NDArray sum, Future<?> reduced) {}

  /** The replicas' gradients as flat views, with a manager per replica for this call. */
  private static final class Replicas implements AutoCloseable {
    private final List<List<NDArray>> grads;
    private final NDManager[] call;
    private final List<NDArray[]> flat = new ArrayList<>();

    Replicas(List<List<NDArray>> grads) {
      this.grads = grads;
      this.call = new NDManager[grads.size()];
      for (int r = 0; r < call.length; r++) {
        NDArray first = grads.get(r).get(0);
        call[r] = first.getManager().newSubManager(first.getDevice());
        NDArray[] views = new NDArray[grads.get(r).size()];
        for (int p = 0; p < views.length; p++) {
          NDArray g = grads.get(r).get(p);
          if (g.getDataType() != DataType.FLOAT32) {
            throw new IllegalArgumentException("gradients must be float32, got " + g.getDataType());
          }
          views[p] = own(g.flatten(), call[r]);
        }
        flat.add(views);
      }
    }

    int count() {
      return call.length;
    }

    Device device(int r) {
      return call[r].getDevice();
    }

    NDManager[] bucketManagers() {
      NDManager[] m = new NDManager[call.length];
      for (int r = 0; r < m.length; r++) {
        m[r] = call[r].newSubManager();
      }
      return m;
    }

    /** Replica r's part of the bucket as one flat array (one cat; a view for one segment). */
    NDArray gather(int r, GradientBuckets.Bucket bucket, NDManager m) {
      List<GradientBuckets.Segment> segments = bucket.segments();
      NDList parts = new NDList(segments.size());
      for (GradientBuckets.Segment s : segments) {
        parts.add(own(flat.get(r)[s.parameter()].get(range(s.from(), s.to())), m));
      }
      return parts.size() == 1 ? parts.get(0) : own(NDArrays.concat(parts), m);
    }

    /** Copies the bucket's sum into replica r's gradients, segment by segment, in place. */
    void scatter(int r, GradientBuckets.Bucket bucket, NDArray total, NDManager m) {
      for (GradientBuckets.Segment s : bucket.segments()) {
        NDArray part = own(total.get(range(s.offset(), (long) s.offset() + s.length())), m);
        flat.get(r)[s.parameter()].set(range(s.from(), s.to()), part);
      }
    }

    private static NDIndex range(long from, long to) {
      return new NDIndex("{}:{}", from, to);
    }

    @Override
    public void close() {
      for (NDManager m : call) {
        m.close();
      }
    }
  }
}
