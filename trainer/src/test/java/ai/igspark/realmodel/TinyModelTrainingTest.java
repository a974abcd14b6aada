package ai.igspark.realmodel;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.igspark.diffusion.IgLoss;
import ai.igspark.diffusion.LossDraws;
import ai.igspark.diffusion.TimeSampling;
import ai.igspark.model.IgDiT;
import ai.igspark.model.IgDiTNet;
import ai.igspark.model.ModelConfig;
import ai.igspark.model.Presets;
import ai.igspark.optim.AdamW;
import ai.igspark.optim.LrSchedule;
import ai.igspark.train.LossComponents;
import ai.igspark.train.TrainStep;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The real tiny SiT+IG model learns through {@link TrainStep}, as training drives it. */
class TinyModelTrainingTest {
  static final int STEPS = 300;

  private final NDManager manager = NDManager.newBaseManager();

  @AfterEach
  void tearDown() {
    manager.close();
  }

  static NDArray gaussian(NDManager m, long seed, long... shape) {
    SplittableRandom rng = new SplittableRandom(seed);
    float[] v = new float[Math.toIntExact(new Shape(shape).size())];
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) rng.nextGaussian();
    }
    return m.create(v, new Shape(shape));
  }

  @Test
  void sitTinyOverfitsAFixedBatchWithBothHeads() {
    ModelConfig cfg = Presets.get("sit-tiny");
    IgDiT model = IgDiT.create(cfg, manager, 1);
    TrainStep step =
        new TrainStep(
            new IgDiTNet(model),
            cfg.timeConvention(),
            IgLoss.sit(cfg.numClasses()),
            new AdamW(manager, AdamW.Config.sit()),
            null,
            LrSchedule.constant(1e-3f),
            1.0);
    NDArray x = gaussian(manager, 1, 4, cfg.inChannels(), cfg.inputSize(), cfg.inputSize());
    NDArray y = manager.create(new long[] {0, 3, 7, 3});
    // The same t, noise and labels every step (no label dropout): a fixed regression problem.
    IgLoss fixed = new IgLoss(cfg.numClasses(), 0.5f, 0f, TimeSampling.UNIFORM, false);
    LossDraws draws = fixed.draw(x, new SplittableRandom(3));
    LossComponents first = step.computeGradients(x, y, draws, 4);
    step.applyUpdate();
    LossComponents last = first;
    for (int i = 1; i < STEPS; i++) {
      last = step.computeGradients(x, y, draws, 4);
      step.applyUpdate();
    }
    String figures =
        String.format(
            "sit-tiny overfit over %d steps: loss %.4f -> %.4f, final-head MSE sum %.4f -> %.4f,"
                + " intermediate-head MSE sum %.4f -> %.4f",
            STEPS,
            first.loss(),
            last.loss(),
            first.sumFinal(),
            last.sumFinal(),
            first.sumIntermediate(),
            last.sumIntermediate());
    System.out.println(figures);
    assertTrue(last.loss() * 10 <= first.loss(), figures);
    assertTrue(last.sumFinal() * 10 <= first.sumFinal(), "final head: " + figures);
    assertTrue(last.sumIntermediate() * 10 <= first.sumIntermediate(), "IG head: " + figures);
  }
}
