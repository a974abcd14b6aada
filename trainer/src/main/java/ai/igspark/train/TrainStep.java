package ai.igspark.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import ai.igspark.diffusion.IgLoss;
import ai.igspark.diffusion.LossDraws;
import ai.igspark.diffusion.LossTerms;
import ai.igspark.diffusion.TimeConvention;
import ai.igspark.diffusion.VelocityNet;
import ai.igspark.optim.Ema;
import ai.igspark.optim.GradientNorm;
import ai.igspark.optim.LrSchedule;
import ai.igspark.optim.ParamOptimizer;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.random.RandomGenerator;

/**
 * One training step, nanoGPT style, split so the distributed layer can sit in the middle:
 *
 * <ol>
 *   <li>{@link #computeGradients} once per micro-batch: forward + backward, gradients accumulate;
 *   <li>optionally a sum over replicas and ranks of {@link #gradientArrays} ({@link
 *       GradientSync}, in buckets);
 *   <li>{@link #applyUpdate()}: clip, optimizer step, EMA update, zero the gradients.
 * </ol>
 *
 * <p>Every array a call creates is closed before it returns (an {@link NDScope} per call), so
 * native memory stays flat over any number of steps. Only one gradient collector may exist per JVM
 * (docs/PLATFORM.md §1): run one training step object per JVM at a time.
 */
public final class TrainStep {

  private final TrainableNet net;
  private final VelocityNet sitNet;
  private final IgLoss loss;
  private final ParamOptimizer optimizer;
  private final Ema ema;
  private final LrSchedule schedule;
  private final double maxGradNorm;
  private long updates;

  /**
   * @param convention the time convention {@code net} speaks; the loss runs in SiT time
   * @param ema EMA to update after each applied step, or null for none
   * @param maxGradNorm global-norm clipping threshold (1.0 in both IG tracks); ≤ 0 for none
   */
  public TrainStep(
      TrainableNet net,
      TimeConvention convention,
      IgLoss loss,
      ParamOptimizer optimizer,
      Ema ema,
      LrSchedule schedule,
      double maxGradNorm) {
    this.net = net;
    this.sitNet = convention.toSitTime(net);
    this.loss = loss;
    this.optimizer = optimizer;
    this.ema = ema;
    this.schedule = schedule;
    this.maxGradNorm = maxGradNorm;
    this.updates = optimizer.steps();
  }

  /** Forward and backward on one micro-batch with draws from {@code rng}; gradients accumulate. */
  public LossComponents computeGradients(
      NDArray x, NDArray y, int globalBatchSize, RandomGenerator rng) {
    try (NDScope scope = new NDScope()) {
      return computeGradients(x, y, loss.draw(x, rng), globalBatchSize);
    }
  }

  /** Forward and backward on one micro-batch with given draws; gradients accumulate. */
  public LossComponents computeGradients(
      NDArray x, NDArray y, LossDraws draws, int globalBatchSize) {
    try (NDScope scope = new NDScope();
        GradientCollector collector = Engine.getInstance().newGradientCollector()) {
      LossTerms terms = loss.compute(sitNet, x, y, draws, globalBatchSize);
      collector.backward(terms.total());
      return new LossComponents(
          terms.total().getFloat(),
          sum(terms.perSampleFinal()),
          sum(terms.perSampleIntermediate()),
          sum(terms.perSampleCosine()),
          terms.perSample().toFloatArray());
    }
  }

  /** Number of updates counted so far (the LR schedule's step is this + 1). */
  public long completedSteps() {
    return updates;
  }

  /** Sets the update count when resuming from a checkpoint taken after {@code steps} updates. */
  public void resumeAt(long steps) {
    updates = steps;
  }

  /** Number of floats in the flat gradient. */
  public long gradientSize() {
    return FlatGradients.size(net.trainableParameters().values());
  }

  /** Element counts of the trainable parameters, in map order (the flat gradient's layout). */
  public long[] parameterSizes() {
    return net.trainableParameters().values().stream().mapToLong(p -> p.getShape().size()).toArray();
  }

  /**
   * The accumulated gradients in map order, as arrays that share the gradients' memory (writes
   * into them are the gradients); registered in the caller's {@link NDScope}.
   */
  public List<NDArray> gradientArrays() {
    return new ArrayList<>(gradients().values());
  }

  /** Copies the accumulated gradients into {@code dst} (map order, row-major). */
  public void gradientsTo(FloatBuffer dst) {
    try (NDScope scope = new NDScope()) {
      FlatGradients.copyTo(gradients().values(), dst);
    }
  }

  /** Overwrites the accumulated gradients from {@code src} (e.g. after an all-reduce). */
  public void gradientsFrom(FloatBuffer src) {
    try (NDScope scope = new NDScope()) {
      FlatGradients.copyFrom(src, gradients().values());
    }
  }

  /**
   * Clips the gradients to the global norm, applies the optimizer at the scheduled rate, updates
   * the EMA and zeroes the gradients. A non-finite gradient norm skips the optimizer and EMA (the
   * weights stay finite) and is reported in the result; the caller decides whether to stop.
   */
  public UpdateResult applyUpdate() {
    long step = ++updates;
    float lr = schedule.lr(step);
    Map<String, NDArray> params = net.trainableParameters();
    try (NDScope scope = new NDScope()) {
      Map<String, NDArray> grads = gradients();
      double norm =
          maxGradNorm > 0
              ? GradientNorm.clip(grads.values(), maxGradNorm)
              : GradientNorm.of(grads.values());
      boolean applied = Double.isFinite(norm);
      if (applied) {
        optimizer.step(params, grads, lr);
        if (ema != null) {
          ema.update(params);
        }
      }
      zeroGradients();
      return new UpdateResult(step, lr, norm, applied);
    }
  }

  /** Sets every parameter's gradient to zero (also clears NaN, unlike multiplying by 0). */
  public void zeroGradients() {
    for (NDArray p : net.trainableParameters().values()) {
      JniUtils.zeroGrad((PtNDArray) p);
    }
  }

  /** Gradient views by parameter name; the views are registered in the caller's scope. */
  private Map<String, NDArray> gradients() {
    Map<String, NDArray> grads = new LinkedHashMap<>();
    net.trainableParameters().forEach((name, p) -> grads.put(name, p.getGradient()));
    return grads;
  }

  private static double sum(NDArray perSample) {
    double s = 0;
    for (float v : perSample.toFloatArray()) {
      s += v;
    }
    return s;
  }

  /** The parameters, for convenience of callers that hold only the step. */
  public List<String> parameterNames() {
    return new ArrayList<>(net.trainableParameters().keySet());
  }
}
