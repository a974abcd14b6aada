package ai.igspark.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.igspark.data.InvalidInputException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class EmaClipScheduleTest {
  NDManager manager;

  @BeforeEach
  void setUp() {
    manager = NDManager.newBaseManager();
  }

  @AfterEach
  void tearDown() {
    manager.close();
  }

  @Test
  void clippingScalesNegativeGradientsToo() {
    NDArray a = manager.create(new float[] {-100f});
    NDArray b = manager.create(new float[] {3f, 4f});
    double norm = GradientNorm.clip(List.of(a, b), 1.0);
    assertEquals(Math.sqrt(100 * 100 + 25), norm, 1e-3);
    assertEquals(1.0, GradientNorm.of(List.of(a, b)), 1e-5);
    assertTrue(a.getFloat(0) < -0.99f);
  }

  @Test
  void gradientsBelowTheThresholdAreLeftAlone() {
    NDArray a = manager.create(new float[] {0.3f, -0.4f});
    GradientNorm.clip(List.of(a), 1.0);
    assertArrayEquals(new float[] {0.3f, -0.4f}, a.toFloatArray(), 0f);
  }

  @Test
  void nonFiniteGradientsShowAsNonFiniteNormAndAreNotScaled() {
    NDArray a = manager.create(new float[] {Float.POSITIVE_INFINITY, 1f});
    double norm = GradientNorm.clip(List.of(a), 1.0);
    assertTrue(Double.isInfinite(norm));
    assertEquals(1f, a.getFloat(1));
    assertTrue(Double.isNaN(GradientNorm.of(List.of(manager.create(new float[] {Float.NaN})))));
  }

  @Test
  void emaMovesTowardTheParametersByOneMinusDecay() {
    NDArray p = manager.create(new float[] {1f, 2f});
    Ema ema = new Ema(manager, Map.of("p", p), 0.9f);
    p.muli(0).addi(manager.create(new float[] {11f, 12f}));
    ema.update(Map.of("p", p));
    assertArrayEquals(new float[] {2f, 3f}, ema.weights().get("p").toFloatArray(), 1e-6f);
  }

  @Test
  void emaLoadRejectsAMissingParameterByName() {
    Ema ema =
        new Ema(
            manager,
            Map.of("blocks.0.w", manager.zeros(new ai.djl.ndarray.types.Shape(2))),
            0.9999f);
    InvalidInputException e = assertThrows(InvalidInputException.class, () -> ema.load(Map.of()));
    assertTrue(e.getMessage().contains("blocks.0.w") && e.getMessage().contains("missing"));
  }

  @Test
  void emaDecayOfOneOrOneInFloat32IsRejectedWithItsKey() {
    Map<String, NDArray> p = Map.of("p", manager.zeros(new ai.djl.ndarray.types.Shape(1)));
    InvalidInputException e =
        assertThrows(InvalidInputException.class, () -> new Ema(manager, p, 1f));
    assertTrue(e.getMessage().contains("ema_decay must be in [0, 1), got 1.0"), e.getMessage());
    assertThrows(InvalidInputException.class, () -> Ema.checkDecay(0.999999999));
    assertEquals(0.0, Ema.checkDecay(0.0));
  }

  @Test
  void warmupRisesLinearlyThenStaysConstant() {
    LrSchedule s = new LrSchedule(1e-4f, 4);
    assertEquals(0.25e-4f, s.lr(1), 1e-10f);
    assertEquals(0.75e-4f, s.lr(3), 1e-10f);
    assertEquals(1e-4f, s.lr(4));
    assertEquals(1e-4f, s.lr(1_000_000));
    assertEquals(2e-4f, LrSchedule.constant(2e-4f).lr(1));
  }

  @Test
  void nonPositiveLearningRateIsRejectedWithItsKey() {
    InvalidInputException e =
        assertThrows(InvalidInputException.class, () -> LrSchedule.constant(0f));
    assertTrue(e.getMessage().contains("lr: 0.0"), e.getMessage());
  }
}
