package ai.igspark.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The Muon group's decay of a frozen parameter (docs/METHOD.md §2.5). */
class FrozenDecayTest {
  NDManager manager;

  @BeforeEach
  void setUp() {
    manager = NDManager.newBaseManager();
  }

  @AfterEach
  void tearDown() {
    manager.close();
  }

  /** A pos_embed-shaped [1, tokens, hidden] tensor of random values. */
  private NDArray posEmbedLike(long seed) {
    SplittableRandom rng = new SplittableRandom(seed);
    float[] v = new float[16 * 8];
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) rng.nextGaussian();
    }
    return manager.create(v, new Shape(1, 16, 8));
  }

  @Test
  void factorAfterNStepsIsTheProductOfOneMinusLrTimesWdOverTheSchedule() {
    float base = 0.05f;
    long warmup = 10;
    float wd = 0.5f;
    int steps = 40;
    NDArray p = posEmbedLike(1);
    float[] before = p.toFloatArray();
    FrozenDecay decay = new FrozenDecay(Map.of("pos_embed", p), wd);
    LrSchedule schedule = new LrSchedule(base, warmup);
    for (long k = 1; k <= steps; k++) {
      decay.apply(schedule.lr(k));
    }
    // Independently: lr_k = base·min(1, k/warmup) in double, then ∏(1 − lr_k·wd).
    double factor = 1;
    for (long k = 1; k <= steps; k++) {
      double lr = (double) base * Math.min(1.0, (double) k / warmup);
      factor *= 1 - lr * wd;
    }
    float[] after = p.toFloatArray();
    for (int i = 0; i < before.length; i++) {
      assertEquals(before[i] * factor, after[i], 1e-5 * Math.abs(before[i]), "element " + i);
    }
    assertEquals(0.41, factor, 0.01, "the test decays visibly");
  }

  @Test
  void oneApplicationIsBitwiseAMuonStepOnAZeroGradient() {
    Muon.Config cfg = Muon.Config.lightningDit();
    NDArray viaMuon = posEmbedLike(2);
    NDArray viaDecay = posEmbedLike(2);
    Muon muon = new Muon(manager, cfg);
    FrozenDecay decay = new FrozenDecay(Map.of("pos_embed", viaDecay), cfg.weightDecay());
    NDArray zero = manager.zeros(viaMuon.getShape());
    for (float lr : new float[] {0.3f, 0.02f, 2e-4f}) {
      muon.step(Map.of("pos_embed", viaMuon), Map.of("pos_embed", zero), lr);
      decay.apply(lr);
    }
    assertArrayEquals(viaMuon.toFloatArray(), viaDecay.toFloatArray(), 0f);
  }

  @Test
  void zeroWeightDecayLeavesTheParameterUnchanged() {
    NDArray p = posEmbedLike(3);
    float[] before = p.toFloatArray();
    new FrozenDecay(Map.of("pos_embed", p), 0f).apply(0.1f);
    assertArrayEquals(before, p.toFloatArray(), 0f);
  }

  @Test
  void aVectorIsRefusedAsTheMuonGroupHoldsOnlyMatrices() {
    NDArray b = manager.create(new float[] {1f, 2f});
    var e = assertThrows(IllegalArgumentException.class,
        () -> new FrozenDecay(Map.of("bias", b), 0.01f));
    assertTrue(e.getMessage().contains("'bias'"), e.getMessage());
  }
}
