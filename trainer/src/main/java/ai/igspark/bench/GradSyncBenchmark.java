package ai.igspark.bench;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.igspark.collective.Collective;
import ai.igspark.collective.RingBenchmark;
import ai.igspark.collective.RingOptions;
import ai.igspark.model.ModelConfig;
import ai.igspark.model.ParameterShapes;
import ai.igspark.tensor.DeviceTransfer;
import ai.igspark.tensor.FlatLayout;
import ai.igspark.train.FlatGradients;
import ai.igspark.train.GradientBuckets;
import ai.igspark.train.GradientSync;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The gradient synchronisation of one training step at a model's real parameter shapes
 * (synthetic values): W ranks as threads of this JVM over a loopback TCP ring, each with G
 * replicas on CPU. Measures the bucketed path ({@link GradientSync}) and, where the whole
 * gradient fits in one Java buffer, the host path it replaced (copy every replica to one flat
 * host buffer, sum in a Java loop, all-reduce, copy back into every replica), side by side.
 */
public final class GradSyncBenchmark {
  private GradSyncBenchmark() {}

  /**
   * One measured path.
   *
   * @param path "bucketed" or "host"
   * @param seconds wall seconds per step of rank 0, one per timed step
   * @param hostBytesPerStep bytes copied between tensors and host memory per step and rank
   * @param stagingBytes host staging memory per rank
   * @param phasesPerStep rank 0's mean time per step in each phase (bucketed path; else null)
   */
  public record Result(String path, double[] seconds, long hostBytesPerStep, long stagingBytes,
      GradientSync.Phases phasesPerStep) {
    public double best() {
      return Arrays.stream(seconds).min().orElse(Double.NaN);
    }

    public double median() {
      double[] s = seconds.clone();
      Arrays.sort(s);
      return s[s.length / 2];
    }
  }

  /** The bucketed path; the host path too when {@code baseline} and the model allows it. */
  public static List<Result> run(
      ModelConfig model, int world, int replicas, int bucketMib, int steps, boolean baseline)
      throws Exception {
    long[] sizes = groupSizes(model);
    List<Result> out = new ArrayList<>();
    out.add(timed("bucketed", sizes, world, replicas, bucketMib, steps));
    long floats = Arrays.stream(sizes).sum();
    if (baseline && 4 * (floats + 3) <= Integer.MAX_VALUE - 8) {
      out.add(timed("host", sizes, world, replicas, bucketMib, steps));
    }
    return out;
  }

  /**
   * The sizes of the arrays the trainer synchronises: its model's gradient groups on a CPU
   * ({@link FlatLayout}, the flat parameters' layout), not one array per tensor.
   */
  static long[] groupSizes(ModelConfig model) {
    List<String> names = new ArrayList<>();
    List<Shape> shapes = new ArrayList<>();
    ParameterShapes.of(model).forEach((name, shape) -> {
      names.add(name);
      shapes.add(new Shape(shape));
    });
    FlatLayout layout = FlatLayout.of(names, shapes, FlatLayout.defaultGroupFloats(Device.cpu()));
    return layout.groups().stream().mapToLong(FlatLayout.Group::floats).toArray();
  }

  private static Result timed(
      String path, long[] sizes, int world, int replicas, int bucketMib, int steps)
      throws Exception {
    RingOptions options = RingOptions.defaults().withBucketBytes(bucketMib << 20);
    return RingBenchmark.onLoopbackRing(world, options, "bench-grad-sync",
        ring -> rank(path, ring, sizes, replicas, bucketMib, steps));
  }

  private static Result rank(String path, Collective ring, long[] sizes, int replicas,
      int bucketMib, int steps) {
    try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
      List<List<NDArray>> grads = new ArrayList<>();
      for (int r = 0; r < replicas; r++) {
        List<NDArray> g = new ArrayList<>();
        for (long n : sizes) {
          g.add(m.full(new Shape(n), 1e-3f * (ring.rank() + 1) * (r + 1), DataType.FLOAT32));
        }
        grads.add(g);
      }
      double[] seconds = new double[steps];
      long bytes = 0;
      long staging;
      GradientSync.Phases phases = null;
      if (path.equals("bucketed")) {
        GradientBuckets plan = GradientBuckets.plan(sizes, bucketMib * (1 << 20) / 4);
        try (GradientSync sync = new GradientSync(plan, ring, 3)) {
          sync.allReduce(grads, new float[3]); // warm-up
          long before = sync.stagedBytes();
          for (int s = 0; s < steps; s++) {
            ring.barrier(Collective.Phase.STEP);
            long t0 = System.nanoTime();
            sync.allReduce(grads, new float[3]);
            seconds[s] = (System.nanoTime() - t0) / 1e9;
          }
          bytes = (sync.stagedBytes() - before) / steps;
          staging = sync.stagingBytes();
          GradientSync.Phases p = sync.phases();
          phases = new GradientSync.Phases(p.localReduce() / (steps + 1), p.toHost() / (steps + 1),
              p.ringWait() / (steps + 1), p.toReplicas() / (steps + 1));
        }
      } else {
        int floats = Math.toIntExact(Arrays.stream(sizes).sum());
        ByteBuffer flatBytes = ByteBuffer.allocateDirect(4 * (floats + 3))
            .order(ByteOrder.nativeOrder());
        FloatBuffer other = ByteBuffer.allocateDirect(4 * floats)
            .order(ByteOrder.nativeOrder()).asFloatBuffer();
        staging = flatBytes.capacity() + 4L * floats;
        hostStep(ring, grads, flatBytes, other, floats); // warm-up
        DeviceTransfer.Counts before = DeviceTransfer.counts();
        for (int s = 0; s < steps; s++) {
          ring.barrier(Collective.Phase.STEP);
          long t0 = System.nanoTime();
          hostStep(ring, grads, flatBytes, other, floats);
          seconds[s] = (System.nanoTime() - t0) / 1e9;
        }
        DeviceTransfer.Counts d = DeviceTransfer.counts().minus(before);
        // both ranks count in the same JVM-wide counters
        bytes = (d.uploadedBytes() + d.downloadedBytes()) / steps / ring.worldSize();
      }
      return new Result(path, seconds, bytes, staging, phases);
    }
  }

  /** The replaced host path: one flat host buffer, a Java summation loop, copies per replica. */
  private static void hostStep(Collective ring, List<List<NDArray>> grads, ByteBuffer flatBytes,
      FloatBuffer other, int floats) {
    FloatBuffer flat = flatBytes.asFloatBuffer();
    FlatGradients.copyTo(grads.get(0), flat);
    for (int r = 1; r < grads.size(); r++) {
      other.clear();
      FlatGradients.copyTo(grads.get(r), other);
      for (int i = 0; i < floats; i++) {
        flat.put(i, flat.get(i) + other.get(i));
      }
    }
    flat.put(floats, 0f).put(floats + 1, 0f).put(floats + 2, 0f);
    flatBytes.clear().limit(4 * (floats + 3));
    ring.allReduceSum(flatBytes, Collective.Phase.STEP);
    for (List<NDArray> g : grads) {
      flat.position(0);
      FlatGradients.copyFrom(flat, g);
    }
  }
}
