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
 * {@link KeyedNoise}), so sample i is the same whatever the batch size or how samples are split.
 */
public final class CheckpointSampler implements AutoCloseable {
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
    int n = labels.length;
    int per = Math.toIntExact(sampleShape().size());
    float[] out = new float[n * per];
    KeyedNoise keyed = new KeyedNoise(seed);
    try (GradModeOff off = new GradModeOff()) {
      for (int start = 0; start < n; start += batchSize) {
        int b = Math.min(batchSize, n - start);
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
          System.arraycopy(x.toFloatArray(), 0, out, start * per, b * per);
        }
        if (progress != null) {
          progress.accept(start + b);
        }
      }
    }
    return out;
  }

  @Override
  public void close() {
    manager.close();
  }
}
