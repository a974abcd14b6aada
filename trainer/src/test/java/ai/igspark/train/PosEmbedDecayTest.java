package ai.igspark.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.igspark.config.RunConfig;
import ai.igspark.data.LoopbackOnly;
import ai.igspark.model.ModelConfig;
import ai.igspark.tensor.DeviceTransfer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Muon recipe's decay of the frozen pos_embed through a real training state (docs/METHOD.md
 * §2.5): the factor after N steps, the EMA carrying it, and the switch that turns it off.
 */
class PosEmbedDecayTest {
  private static final int STEPS = 8;
  private static final String POS_EMBED = TrainingRecipe.POS_EMBED;

  @TempDir Path dir;

  /** pos_embed of the model after each of {@link #STEPS} steps (index 0: before any). */
  private record Trajectory(List<float[]> posEmbed, float[] emaPosEmbed, float emaDecay) {}

  private Trajectory train(boolean decayPosEmbed) throws Exception {
    LoopbackOnly.apply();
    RunConfig cfg = RunConfig.load(MuonTinyRun.config(dir, "decay-" + decayPosEmbed,
        dir.resolve("r").toString(), dir.resolve("none").toString(), STEPS, STEPS,
        decayPosEmbed));
    ModelConfig mc = ModelConfig.fromTree(cfg.model(), "decay: model");
    List<float[]> seen = new ArrayList<>();
    try (TrainingState state =
            TrainingState.create(mc, cfg.train(), Device.cpu(), 3, null, 0, null);
        NDManager m = state.model().manager().newSubManager()) {
      NDArray posEmbed = state.model().stateDict().get(POS_EMBED);
      seen.add(DeviceTransfer.download(posEmbed));
      SplittableRandom rng = new SplittableRandom(0);
      for (int k = 1; k <= STEPS; k++) {
        NDArray x = m.randomNormal(new Shape(4, 1, 8, 8));
        NDArray y = m.create(new long[] {0, 1, 2, 3});
        state.step().computeGradients(x, y, 4, rng);
        assertTrue(state.step().applyUpdate().applied());
        seen.add(DeviceTransfer.download(posEmbed));
      }
      return new Trajectory(seen, state.emaStateDict().get(POS_EMBED).toFloats(),
          state.ema().decay());
    }
  }

  @Test
  void posEmbedAfterNStepsIsTheStartTimesTheProductOfOneMinusLrTimesWd() throws Exception {
    Trajectory t = train(true);
    // Independently of LrSchedule: lr_k = lr·min(1, k/warmup), factor ∏(1 − lr_k·wd).
    double factor = 1;
    for (int k = 1; k <= STEPS; k++) {
      double lr = MuonTinyRun.LR * Math.min(1.0, (double) k / MuonTinyRun.WARMUP);
      factor *= 1 - lr * MuonTinyRun.WEIGHT_DECAY;
    }
    float[] start = t.posEmbed().get(0);
    float[] end = t.posEmbed().get(STEPS);
    double maxAbs = 0;
    for (int i = 0; i < start.length; i++) {
      assertEquals(start[i] * factor, end[i], 1e-6, "element " + i);
      maxAbs = Math.max(maxAbs, Math.abs(start[i]));
    }
    assertTrue(maxAbs * (1 - factor) > 1e-2, "the decay is visible: factor " + factor);
  }

  @Test
  void emaPosEmbedIsTheEmaRecurrenceOverTheDecayedValues() throws Exception {
    Trajectory t = train(true);
    double d = t.emaDecay();
    double[] ema = new double[t.posEmbed().get(0).length];
    for (int i = 0; i < ema.length; i++) {
      ema[i] = t.posEmbed().get(0)[i]; // the EMA starts as a copy
    }
    for (int k = 1; k <= STEPS; k++) {
      float[] p = t.posEmbed().get(k);
      for (int i = 0; i < ema.length; i++) {
        ema[i] = d * ema[i] + (1 - d) * p[i];
      }
    }
    float[] last = t.posEmbed().get(STEPS);
    double gap = 0;
    for (int i = 0; i < ema.length; i++) {
      assertEquals(ema[i], t.emaPosEmbed()[i], 1e-6, "element " + i);
      gap = Math.max(gap, Math.abs(ema[i] - last[i]));
    }
    assertTrue(gap > 1e-3, "the EMA lags the model's pos_embed by " + gap);
  }

  @Test
  void withTheSwitchOffPosEmbedAndItsEmaStayTheSinCosTable() throws Exception {
    Trajectory t = train(false);
    float[] start = t.posEmbed().get(0);
    assertArrayEquals(start, t.posEmbed().get(STEPS), 0f);
    assertArrayEquals(start, t.emaPosEmbed(), 0f);
    assertFalse(java.util.Arrays.equals(start, new float[start.length]), "a real table");
  }
}
