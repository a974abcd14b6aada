package ai.igspark.diffusion;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.types.DataType;
import ai.igspark.data.InvalidInputException;
import ai.igspark.tensor.TorchScalar;
import java.util.random.RandomGenerator;

/**
 * The IG training loss (docs/METHOD.md §2.3–2.4), in SiT time: linear interpolant {@code x_t
 * = (1−t)·x0 + t·ε}, velocity target {@code v* = ε − x0}, MSE over (C, H, W) on both heads, {@code
 * l = L_final + λ·L_inter}, plus LightningDiT's cosine term on the final head when enabled.
 *
 * <p>The network must speak SiT time (see {@link TimeConvention#toSitTime}); the adapter makes this
 * loss equal to LightningDiT's own for LightningDiT nets.
 */
public final class IgLoss {

  private final int numClasses;
  private final float intermediateWeight;
  private final float labelDropProb;
  private final TimeSampling timeSampling;
  private final boolean cosineTerm;

  /**
   * @param numClasses number of real classes; the null class id is {@code numClasses}
   * @param intermediateWeight λ (0.5 in both IG tracks)
   * @param labelDropProb probability of replacing a label by the null class (0.1)
   * @param timeSampling how t is drawn
   * @param cosineTerm add LightningDiT's {@code mean_HW(1 − cos_C(v_f, v*))} term
   */
  public IgLoss(
      int numClasses,
      float intermediateWeight,
      float labelDropProb,
      TimeSampling timeSampling,
      boolean cosineTerm) {
    if (numClasses < 1) {
      throw new InvalidInputException("num_classes: " + numClasses + ", expected >= 1");
    }
    checkLabelDropout(labelDropProb);
    if (!(intermediateWeight >= 0f)) {
      throw new InvalidInputException(
          "ig_loss_weight: " + intermediateWeight + ", expected a non-negative number");
    }
    this.numClasses = numClasses;
    this.intermediateWeight = intermediateWeight;
    this.labelDropProb = labelDropProb;
    this.timeSampling = timeSampling;
    this.cosineTerm = cosineTerm;
  }

  /**
   * The accepted label-dropout probabilities, here and for the run config's {@code
   * train.class_dropout}: [0, 1), since dropping every label would train no class at all (as
   * would a probability that rounds to 1 in float32, the precision of the draw). Returns {@code p}.
   */
  public static double checkLabelDropout(double p) {
    if (!(p >= 0 && (float) p < 1f)) {
      throw new InvalidInputException("class_dropout must be in [0, 1), got " + p);
    }
    return p;
  }

  /** SiT-track defaults: λ 0.5, dropout 0.1, uniform t, no cosine term. */
  public static IgLoss sit(int numClasses) {
    return new IgLoss(numClasses, 0.5f, 0.1f, TimeSampling.UNIFORM, false);
  }

  /** LightningDiT+IG defaults: λ 0.5, dropout 0.1, uniform t, cosine term on. */
  public static IgLoss lightningDit(int numClasses) {
    return new IgLoss(numClasses, 0.5f, 0.1f, TimeSampling.UNIFORM, true);
  }

  public int nullClass() {
    return numClasses;
  }

  /** Draws t, noise and the dropout mask for a batch {@code x0} from {@code rng}. */
  public LossDraws draw(NDArray x0, RandomGenerator rng) {
    return LossDraws.draw(x0.getManager(), x0.getShape(), timeSampling, labelDropProb, rng);
  }

  /** Draws from {@code rng}, then computes the loss. */
  public LossTerms compute(
      VelocityNet sitNet, NDArray x0, NDArray y, int globalBatchSize, RandomGenerator rng) {
    return compute(sitNet, x0, y, draw(x0, rng), globalBatchSize);
  }

  /**
   * @param sitNet network in SiT time
   * @param x0 data latents float32 [N, C, H, W]
   * @param y labels int64 [N]
   * @param draws t, noise and dropout mask for this batch
   * @param globalBatchSize B_global: the returned total is {@code Σ_i l_i / B_global}, so ranks
   *     holding uneven slices of a global batch sum to the exact global mean
   */
  public LossTerms compute(
      VelocityNet sitNet, NDArray x0, NDArray y, LossDraws draws, int globalBatchSize) {
    if (globalBatchSize < 1) {
      throw new IllegalArgumentException("globalBatchSize must be >= 1, got " + globalBatchSize);
    }
    long n = x0.getShape().get(0);
    NDArray t = draws.t();
    NDArray tb = t.reshape(n, 1, 1, 1);
    NDArray noise = draws.noise();
    // docs/METHOD.md §2.3 (SiT track): x_t = (1−t)·x0 + t·ε, v* = ε − x0
    NDArray xt = x0.mul(tb.neg().add(TorchScalar.like(tb, 1f))).add(noise.mul(tb));
    NDArray target = noise.sub(x0);
    NDArray nullIds = y.zerosLike().add(numClasses).toType(DataType.INT64, false);
    NDArray yIn = NDArrays.where(draws.dropLabel(), nullIds, y.toType(DataType.INT64, false));

    Velocities v = sitNet.predict(xt, t, yIn);
    NDArray lFinal = meanFlat(v.vFinal().sub(target).square());
    NDArray lInter =
        v.hasIntermediate() ? meanFlat(v.vIntermediate().sub(target).square()) : lFinal.zerosLike();
    NDArray perSample = lFinal.add(lInter.mul(TorchScalar.like(lInter, intermediateWeight)));
    NDArray lCos = cosineTerm ? cosineLoss(v.vFinal(), target) : lFinal.zerosLike();
    if (cosineTerm) {
      perSample = perSample.add(lCos);
    }
    NDArray total = perSample.sum().div(TorchScalar.like(perSample, globalBatchSize));
    return new LossTerms(total, perSample, lFinal, lInter, lCos);
  }

  /**
   * LightningDiT's cosine term: {@code mean over (H, W) of 1 − cos_sim(a, b)} with the similarity
   * over channels (dim 1); the norm product is clamped at 1e-8 like {@code F.cosine_similarity}.
   */
  static NDArray cosineLoss(NDArray a, NDArray b) {
    NDArray dot = a.mul(b).sum(new int[] {1});
    NDArray normProduct = a.square().sum(new int[] {1}).mul(b.square().sum(new int[] {1}));
    NDArray cos = dot.div(normProduct.maximum(TorchScalar.like(normProduct, 1e-16f)).sqrt());
    return meanFlat(cos.neg().add(TorchScalar.like(cos, 1f)));
  }

  /** Mean over every dim but the first (DJL's PyTorch mean takes one axis only). */
  static NDArray meanFlat(NDArray a) {
    return a.reshape(a.getShape().get(0), -1).mean(new int[] {1});
  }
}
