package ai.igspark.eval;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.igspark.diffusion.KeyedNoise;
import ai.igspark.diffusion.SamplingPlan;
import ai.igspark.diffusion.VelocityNet;
import ai.igspark.model.IgDiT;
import ai.igspark.model.IgDiTNet;
import ai.igspark.model.ModelConfig;
import ai.igspark.tensor.GradModeOff;
import ai.igspark.tensorfile.HostTensor;
import java.util.Arrays;
import java.util.Map;
import java.util.function.IntConsumer;

/**
 * A model loaded from weights, ready to sample in batches. Noise is keyed by sample index (see
 * {@link KeyedNoise}), and batches are cut at multiples of the batch size in the sample index, so
 * sample i is the same however the samples are split into calls (blocks, executors), bit for bit,
 * as long as the batch size is the same: a model call's last bits can depend on its batch (kernels
 * are chosen by shape), so {@code igspark sample}, {@code evaluate --checkpoint} and in-training
 * evaluation all use {@link #BATCH}.
 */
public final class CheckpointSampler implements AutoCloseable {
  /** Samples per model call of every sampling path (the default of {@code sample --batch-size}). */
  public static final int BATCH = 32;

  /** Receives each batch of samples as it is drawn. */
  @FunctionalInterface
  public interface BatchSink {
    /**
     * @param offset the batch's first sample, counted from the call's {@code first}
     * @param samples its final samples, NCHW floats
     */
    void accept(int offset, int count, float[] samples);
  }

  private final ModelConfig config;
  private final NDManager manager;
  private final IgDiT model;
  private final VelocityNet sitNet;

  /** A sampler on the CPU. */
  public CheckpointSampler(ModelConfig config, Map<String, HostTensor> weights, String source) {
    this(config, weights, source, Device.cpu());
  }

  /** A sampler whose model and arrays live on {@code device}. */
  public CheckpointSampler(
      ModelConfig config, Map<String, HostTensor> weights, String source, Device device) {
    this.config = config;
    this.manager = NDManager.newBaseManager(device);
    try {
      this.model = IgDiT.create(config, manager, 0);
      model.loadStateDict(weights, source);
    } catch (RuntimeException e) {
      manager.close();
      throw e;
    }
    this.sitNet = config.timeConvention().toSitTime(new IgDiTNet(model));
  }

  public ModelConfig config() {
    return config;
  }

  public Shape sampleShape() {
    return new Shape(config.inChannels(), config.inputSize(), config.inputSize());
  }

  /**
   * Samples {@code labels.length} samples numbered {@code first, first+1, …} with {@code plan}.
   *
   * @param initialNoise float32 NCHW initial noise for these samples, or null for keyed noise
   * @param progress told the number of samples done after each batch (may be null)
   * @return final samples, NCHW floats
   */
  public float[] sample(
      SamplingPlan plan,
      long seed,
      long first,
      long[] labels,
      float[] initialNoise,
      int batchSize,
      IntConsumer progress) {
    int per = Math.toIntExact(sampleShape().size());
    float[] out = new float[labels.length * per];
    sampleBatches(plan, seed, first, labels, initialNoise, batchSize, (offset, count, x) -> {
      System.arraycopy(x, 0, out, offset * per, count * per);
      if (progress != null) {
        progress.accept(offset + count);
      }
    });
    return out;
  }

  /**
   * As {@link #sample}, handing each batch to {@code sink} in order instead of keeping them. A
   * batch holds the samples whose indices share {@code index / batchSize}, so a range starting off
   * a multiple of {@code batchSize} begins with a short batch.
   */
  public void sampleBatches(
      SamplingPlan plan,
      long seed,
      long first,
      long[] labels,
      float[] initialNoise,
      int batchSize,
      BatchSink sink) {
    if (batchSize < 1) {
      throw new IllegalArgumentException("batch size " + batchSize + " < 1");
    }
    int n = labels.length;
    int per = Math.toIntExact(sampleShape().size());
    KeyedNoise keyed = new KeyedNoise(seed);
    try (GradModeOff off = new GradModeOff()) {
      int b;
      for (int start = 0; start < n; start += b) {
        b = (int) Math.min(n - start, batchSize - Math.floorMod(first + start, (long) batchSize));
        try (NDManager batch = manager.newSubManager()) {
          long[] idx = new long[b];
          for (int i = 0; i < b; i++) {
            idx[i] = first + start + i;
          }
          NDArray y = batch.create(Arrays.copyOfRange(labels, start, start + b));
          NDArray x0 =
              initialNoise == null
                  ? keyed.initial(idx, sampleShape(), batch)
                  : batch.create(
                      Arrays.copyOfRange(initialNoise, start * per, (start + b) * per),
                      new Shape(b).addAll(sampleShape()));
          NDArray x = plan.run(sitNet, config.nullClass(), x0, y, keyed.stream(idx));
          sink.accept(start, b, x.toFloatArray());
        }
      }
    }
  }

  @Override
  public void close() {
    manager.close();
  }
}
