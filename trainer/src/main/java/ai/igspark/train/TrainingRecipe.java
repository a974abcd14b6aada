package ai.igspark.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.igspark.config.RunConfig;
import ai.igspark.data.InvalidInputException;
import ai.igspark.diffusion.IgLoss;
import ai.igspark.model.ModelConfig;
import ai.igspark.optim.AdamW;
import ai.igspark.optim.FrozenDecay;
import ai.igspark.optim.LrSchedule;
import ai.igspark.optim.Muon;
import ai.igspark.optim.ParamOptimizer;
import java.util.Map;
import java.util.Optional;

/**
 * Turns a run config's {@code train} section into the loss, optimizer and schedule objects of
 * the diffusion and optim packages (docs/METHOD.md §2.3–2.5).
 */
public record TrainingRecipe(RunConfig.Train train, ModelConfig model) {

  public IgLoss loss() {
    double cosine = train.cosineLossWeight();
    if (cosine != 0.0 && cosine != 1.0) {
      // LightningDiT adds its cosine term with weight 1 (§2.3); other weights have no recipe.
      throw new InvalidInputException(
          "train.cosine_loss_weight: " + cosine + ", expected 0 (SiT) or 1 (LightningDiT)");
    }
    return new IgLoss(
        model.numClasses(),
        train.igLossWeight().floatValue(),
        train.classDropout().floatValue(),
        train.timeSampling(),
        cosine == 1.0);
  }

  public ParamOptimizer optimizer(NDManager manager) {
    RunConfig.Optimizer o = train.optimizer();
    float beta1 = o.betas().get(0).floatValue();
    float beta2 = o.betas().get(1).floatValue();
    return switch (o.name()) {
      case ADAMW ->
          new AdamW(
              manager,
              new AdamW.Config(
                  beta1, beta2, o.eps().floatValue(), o.weightDecay().floatValue()));
      case MUON -> {
        // The official MuonWithAuxAdam runs both groups at one learning rate, with Nesterov
        // momentum (§2.5); that is the one recipe implemented.
        if (!o.auxLr().equals(o.lr())) {
          throw new InvalidInputException(
              "train.optimizer.aux_lr: " + o.auxLr() + " differs from lr " + o.lr()
                  + "; the Muon recipe uses one learning rate for both groups");
        }
        if (!o.nesterov()) {
          throw new InvalidInputException(
              "train.optimizer.nesterov: false; the Muon recipe uses Nesterov momentum");
        }
        yield new Muon(
            manager,
            new Muon.Config(
                o.momentum().floatValue(),
                o.nsSteps(),
                o.weightDecay().floatValue(),
                beta1,
                beta2,
                o.eps().floatValue(),
                o.auxWeightDecay().floatValue()));
      }
    };
  }

  /** The official state-dict name of the frozen parameter the Muon recipe decays. */
  public static final String POS_EMBED = "pos_embed";

  /**
   * Whether every step decays the frozen {@code pos_embed} with the Muon group's weight decay
   * ({@code train.optimizer.decay_frozen_pos_embed}, docs/METHOD.md §2.5); never with AdamW,
   * whose official recipe skips parameters without a gradient.
   */
  public boolean decaysFrozenPosEmbed() {
    return Boolean.TRUE.equals(train.optimizer().decayFrozenPosEmbed());
  }

  /**
   * The decay of {@code pos_embed} (taken live from {@code stateDict}) when {@link
   * #decaysFrozenPosEmbed()}, else empty.
   */
  public Optional<FrozenDecay> frozenDecay(Map<String, NDArray> stateDict) {
    if (!decaysFrozenPosEmbed()) {
      return Optional.empty();
    }
    return Optional.of(new FrozenDecay(
        Map.of(POS_EMBED, stateDict.get(POS_EMBED)),
        train.optimizer().weightDecay().floatValue()));
  }

  public LrSchedule schedule() {
    return new LrSchedule(train.optimizer().lr().floatValue(), train.warmupSteps());
  }
}
