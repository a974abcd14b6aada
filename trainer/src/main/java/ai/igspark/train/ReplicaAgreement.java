package ai.igspark.train;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.igspark.config.RunConfig;
import ai.igspark.data.sampling.BatchSlice;
import ai.igspark.diffusion.LossDraws;
import ai.igspark.model.ModelConfig;
import ai.igspark.tensor.DeviceTransfer;
import ai.igspark.tensorfile.HostTensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * "G replicas equal one" as {@code igspark gpu-check} checks it: the same steps from the same
 * weights, once on one device with the whole batch and once on G devices at once, each with its
 * contiguous part of the batch on its own thread, the gradients summed over replicas by {@link
 * GradientSync} and the update applied on every replica with replica 0's norm, as the segment
 * loop does (docs/ARCHITECTURE.md §4.2). The loss draws are keyed by sample, so both see the same
 * t, ε and label drops. Device→host reads are counted over the replicated steps after the first.
 */
public final class ReplicaAgreement {
  private ReplicaAgreement() {}

  /**
   * @param initial the weights both runs start from
   * @param single the weights after the steps on one device
   * @param replicas each replica's weights after the replicated steps
   * @param readsPerStep device→host reads per replicated step (the steps after the first)
   * @param bytesPerStep bytes of those reads
   */
  public record Result(
      Map<String, float[]> initial,
      Map<String, float[]> single,
      List<Map<String, float[]>> replicas,
      double readsPerStep,
      double bytesPerStep) {

    /** Whether every replica ends with bitwise the same weights as replica 0. */
    public boolean replicasIdentical() {
      for (Map<String, float[]> r : replicas) {
        for (Map.Entry<String, float[]> e : replicas.get(0).entrySet()) {
          if (!Arrays.equals(e.getValue(), r.get(e.getKey()))) {
            return false;
          }
        }
      }
      return true;
    }
  }

  /** {@code steps} steps of {@code config} at {@code batch} on {@code single}, then on {@code devices}. */
  public static Result run(ModelConfig config, RunConfig.Train recipe, Device single,
      List<Device> devices, int steps, int batch) {
    if (devices.size() < 2 || batch < devices.size()) {
      throw new IllegalArgumentException(
          "a replica check needs 2 or more devices and a sample each; got " + devices.size()
              + " devices, batch " + batch);
    }
    KeyedLossDraws draws = new KeyedLossDraws(
        0, recipe.classDropout().floatValue(), recipe.timeSampling());
    Map<String, float[]> initial;
    Map<String, float[]> alone;
    try (TrainingState s = TrainingState.create(config, recipe, single, 0)) {
      initial = floats(s.model().hostStateDict());
      for (int step = 0; step < steps; step++) {
        accumulate(s, config, draws, step, 0, batch, batch);
        s.step().discardLossSums();
        s.step().applyUpdate();
      }
      alone = floats(s.model().hostStateDict());
    }

    List<TrainingState> states = new ArrayList<>();
    try {
      for (Device d : devices) {
        states.add(TrainingState.create(config, recipe, d, 0));
      }
      int g = states.size();
      GradientBuckets plan = GradientBuckets.plan(
          states.get(0).step().parameterSizes(), new RunConfig.Ring(null, null, null)
              .bucketFloats());
      DeviceTransfer.Counts counted;
      try (GradientSync sync = new GradientSync(plan, null, 0);
          ReplicaThreads threads = ReplicaThreads.forReplicas(g)) {
        DeviceTransfer.Counts afterFirstStep = null;
        for (int step = 0; step < steps; step++) {
          if (step == 1) {
            afterFirstStep = DeviceTransfer.counts();
          }
          List<Runnable> work = new ArrayList<>();
          for (int r = 0; r < g; r++) {
            TrainingState replica = states.get(r);
            int from = r * batch / g;
            int to = (r + 1) * batch / g;
            int s = step;
            work.add(() -> accumulate(replica, config, draws, s, from, to, batch));
          }
          threads.runAll(work);
          try (NDScope scope = new NDScope()) {
            List<List<NDArray>> grads = new ArrayList<>();
            states.forEach(st -> grads.add(st.step().gradientArrays()));
            sync.allReduce(grads, new float[0]);
          }
          double norm = states.get(0).step().gradientNorm();
          for (TrainingState st : states) {
            st.step().discardLossSums();
            st.step().applyUpdate(norm);
          }
        }
        counted = afterFirstStep == null
            ? new DeviceTransfer.Counts(0, 0, 0, 0)
            : DeviceTransfer.counts().minus(afterFirstStep);
      }
      List<Map<String, float[]>> weights = new ArrayList<>();
      states.forEach(st -> weights.add(floats(st.model().hostStateDict())));
      int timed = Math.max(1, steps - 1);
      return new Result(initial, alone, weights, counted.downloads() / (double) timed,
          counted.downloadedBytes() / (double) timed);
    } finally {
      states.forEach(TrainingState::close);
    }
  }

  /** Forward and backward of samples [from, to) of step {@code step}'s batch on {@code s}. */
  private static void accumulate(TrainingState s, ModelConfig config, KeyedLossDraws draws,
      int step, int from, int to, int batch) {
    try (NDManager m = s.model().manager().newSubManager()) {
      NDArray[] xy = batch(config, m, batch, step, from, to);
      long[] indices = new long[to - from];
      for (int i = 0; i < indices.length; i++) {
        indices[i] = from + i;
      }
      BatchSlice slice = new BatchSlice(step, 0, 1, batch, indices, new long[indices.length]);
      LossDraws d = draws.draw(slice, xy[0].getShape(), m);
      s.step().accumulate(xy[0], xy[1], d, batch);
    }
  }

  /**
   * Samples [from, to) of a batch of {@code n} N(0, 1) inputs and random labels that depends only
   * on {@code step}, made by {@code manager} (on its device).
   */
  public static NDArray[] batch(
      ModelConfig config, NDManager manager, int n, long step, int from, int to) {
    SplittableRandom rng = new SplittableRandom(1000 + step);
    int per = config.inChannels() * config.inputSize() * config.inputSize();
    float[] x = new float[n * per];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) rng.nextGaussian();
    }
    long[] y = new long[n];
    for (int i = 0; i < n; i++) {
      y[i] = rng.nextInt(config.numClasses());
    }
    Shape shape = new Shape(to - from, config.inChannels(), config.inputSize(),
        config.inputSize());
    return new NDArray[] {
      manager.create(Arrays.copyOfRange(x, from * per, to * per), shape),
      manager.create(Arrays.copyOfRange(y, from, to))
    };
  }

  /** Every tensor as floats, by name. */
  public static Map<String, float[]> floats(Map<String, HostTensor> tensors) {
    Map<String, float[]> out = new LinkedHashMap<>();
    tensors.forEach((name, t) -> out.put(name, t.toFloats()));
    return out;
  }
}
