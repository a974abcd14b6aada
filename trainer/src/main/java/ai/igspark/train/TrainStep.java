package ai.igspark.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.igspark.diffusion.IgLoss;
import ai.igspark.diffusion.LossDraws;
import ai.igspark.diffusion.LossTerms;
import ai.igspark.diffusion.TimeConvention;
import ai.igspark.diffusion.VelocityNet;
import ai.igspark.model.TrainableNet;
import ai.igspark.optim.Ema;
import ai.igspark.optim.FrozenDecay;
import ai.igspark.optim.GradientNorm;
import ai.igspark.optim.LrSchedule;
import ai.igspark.optim.ParamOptimizer;
import ai.igspark.tensor.DeviceTransfer;
import ai.igspark.tensor.FlatLayout;
import ai.igspark.tensor.FlatParameters;
import ai.igspark.tensor.GradScope;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Collections;
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
  private final FrozenDecay frozenDecay;
  private final Ema ema;
  /** What the EMA averages: the trainable parameters, plus the decayed frozen ones. */
  private final Map<String, NDArray> emaInputs;
  private final LrSchedule schedule;
  private final double maxGradNorm;
  private long updates;
  /** Device-side loss sums since the last {@link #takeLossSums}, or null. */
  private NDArray lossSums;

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
    this(net, convention, loss, optimizer, null, ema, schedule, maxGradNorm);
  }

  /**
   * As above, with {@code frozenDecay} (or null for none) applied after each optimizer step; the
   * EMA then averages its parameters too, as the official EMA averages every parameter.
   */
  public TrainStep(
      TrainableNet net,
      TimeConvention convention,
      IgLoss loss,
      ParamOptimizer optimizer,
      FrozenDecay frozenDecay,
      Ema ema,
      LrSchedule schedule,
      double maxGradNorm) {
    this.net = net;
    this.sitNet = convention.toSitTime(net);
    this.loss = loss;
    this.optimizer = optimizer;
    this.frozenDecay = frozenDecay;
    this.ema = ema;
    this.emaInputs = averagedParameters(net, frozenDecay);
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

  /**
   * Forward and backward on one micro-batch with given draws; gradients accumulate. Reads the
   * losses back to the host (tests, tools); the training loop uses {@link #accumulate}.
   */
  public LossComponents computeGradients(
      NDArray x, NDArray y, LossDraws draws, int globalBatchSize) {
    return forwardBackward(x, y, draws, globalBatchSize, terms -> new LossComponents(
        DeviceTransfer.download(terms.total())[0],
        sum(terms.perSampleFinal()),
        sum(terms.perSampleIntermediate()),
        sum(terms.perSampleCosine()),
        DeviceTransfer.download(terms.perSample())));
  }

  /**
   * Forward and backward on one micro-batch; gradients accumulate, and so do the loss sums
   * (Σ l_final, Σ l_inter, Σ l_cos in float64), on the device: nothing is read to the host.
   */
  public void accumulate(NDArray x, NDArray y, LossDraws draws, int globalBatchSize) {
    forwardBackward(x, y, draws, globalBatchSize, terms -> {
      NDArray sums = NDArrays.stack(new NDList(
          sum64(terms.perSampleFinal()),
          sum64(terms.perSampleIntermediate()),
          sum64(terms.perSampleCosine())));
      if (lossSums == null) { // kept past this scope and the micro-batch's manager
        lossSums = sums;
        NDScope.unregister(lossSums);
        lossSums.attach(net.trainableParameters().values().iterator().next().getManager());
      } else {
        lossSums.addi(sums);
      }
      return null;
    });
  }

  /** Forward, backward (gradients accumulate), then {@code read} of the loss terms, in a scope. */
  private <T> T forwardBackward(NDArray x, NDArray y, LossDraws draws, int globalBatchSize,
      java.util.function.Function<LossTerms, T> read) {
    try (NDScope scope = new NDScope();
        GradScope grad = new GradScope()) {
      LossTerms terms = loss.compute(sitNet, x, y, draws, globalBatchSize);
      grad.backward(terms.total());
      return read.apply(terms);
    }
  }

  /**
   * The loss sums {@link #accumulate} gathered since the last call, read in one device→host
   * copy, and reset; zeros when nothing was accumulated.
   */
  public double[] takeLossSums() {
    if (lossSums == null) {
      return new double[3];
    }
    try {
      return DeviceTransfer.downloadDoubles(lossSums);
    } finally {
      discardLossSums();
    }
  }

  /** Drops the accumulated loss sums without reading them (steps between log intervals). */
  public void discardLossSums() {
    if (lossSums != null) {
      lossSums.close();
      lossSums = null;
    }
  }

  private static NDArray sum64(NDArray perSample) {
    return perSample.toType(DataType.FLOAT64, false).sum();
  }

  /**
   * What an EMA of this step averages: the decayed frozen parameters of {@code frozenDecay} (null:
   * none) first, as pos_embed leads the official module order, then the trainable ones.
   */
  public static Map<String, NDArray> averagedParameters(
      TrainableNet net, FrozenDecay frozenDecay) {
    if (frozenDecay == null) {
      return net.trainableParameters();
    }
    Map<String, NDArray> all = new LinkedHashMap<>(frozenDecay.params());
    all.putAll(net.trainableParameters());
    return Collections.unmodifiableMap(all);
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

  /**
   * Element counts of the arrays of {@link #gradientArrays}, in order (the flat gradient's
   * layout, which the gradient buckets cut).
   */
  public long[] parameterSizes() {
    FlatParameters flat = net.flatParameters();
    if (flat != null) {
      return flat.layout().groups().stream().mapToLong(FlatLayout.Group::floats).toArray();
    }
    return net.trainableParameters().values().stream().mapToLong(p -> p.getShape().size()).toArray();
  }

  /**
   * The accumulated gradients in parameter order, as arrays that share the gradients' memory
   * (writes into them are the gradients); registered in the caller's {@link NDScope}. For flat
   * parameters one contiguous array per group, else one per parameter.
   */
  public List<NDArray> gradientArrays() {
    FlatParameters flat = net.flatParameters();
    return flat != null ? flat.gradients() : new ArrayList<>(net.gradients().values());
  }

  /** Copies the accumulated gradients into {@code dst} (map order, row-major). */
  public void gradientsTo(FloatBuffer dst) {
    try (NDScope scope = new NDScope()) {
      FlatGradients.copyTo(net.gradients().values(), dst);
    }
  }

  /** Overwrites the accumulated gradients from {@code src} (e.g. after an all-reduce). */
  public void gradientsFrom(FloatBuffer src) {
    try (NDScope scope = new NDScope()) {
      FlatGradients.copyFrom(src, net.gradients().values());
    }
  }

  /**
   * Clips the gradients to the global norm, applies the optimizer (and the frozen decay) at the
   * scheduled rate, updates the EMA and zeroes the gradients. A non-finite gradient norm skips the optimizer and EMA (the
   * weights stay finite) and is reported in the result; the caller decides whether to stop.
   */
  public UpdateResult applyUpdate() {
    return applyUpdate(gradientNorm());
  }

  /** The global gradient norm: the step's one host read (one float64 scalar). */
  public double gradientNorm() {
    try (NDScope scope = new NDScope()) {
      return GradientNorm.of(net.gradients().values());
    }
  }

  /**
   * {@link #applyUpdate()} with the global norm already known, e.g. from another replica holding
   * the same gradients: no host read at all.
   */
  public UpdateResult applyUpdate(double norm) {
    long step = ++updates;
    float lr = schedule.lr(step);
    try (NDScope scope = new NDScope()) {
      boolean applied = Double.isFinite(norm);
      if (applied) {
        // Clipping rides with the optimizer: a flat one scales its gathered gradients.
        float clip = maxGradNorm > 0 ? GradientNorm.clipScale(maxGradNorm, norm) : 1f;
        FlatParameters flat = net.flatParameters();
        if (flat != null) {
          optimizer.step(flat, lr, clip);
        } else {
          optimizer.step(net.trainableParameters(), net.gradients(), lr, clip);
        }
        if (frozenDecay != null) {
          frozenDecay.apply(lr);
        }
        if (ema != null) {
          ema.update(emaInputs);
        }
      }
      zeroGradients();
      return new UpdateResult(step, lr, norm, applied);
    }
  }

  /** Sets every gradient to zero (also clears NaN, unlike multiplying by 0). */
  public void zeroGradients() {
    net.zeroGradients();
  }

  private static double sum(NDArray perSample) {
    double s = 0;
    for (float v : DeviceTransfer.download(perSample)) {
      s += v;
    }
    return s;
  }

  /** The parameters, for convenience of callers that hold only the step. */
  public List<String> parameterNames() {
    return new ArrayList<>(net.trainableParameters().keySet());
  }
}
