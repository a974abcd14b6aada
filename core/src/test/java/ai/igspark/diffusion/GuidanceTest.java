package ai.igspark.diffusion;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.igspark.data.InvalidInputException;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class GuidanceTest {
  static final int K = 3;
  NDManager manager;
  TinyTwoHeadNet net;
  NDArray x;
  NDArray y;

  @BeforeEach
  void setUp() {
    manager = NDManager.newBaseManager();
    net = TinyTwoHeadNet.random(manager, 2, 16, K, 4, 4, 3);
    x = NoiseStream.seeded(new SplittableRandom(1)).next(manager.zeros(new Shape(3, 2, 4, 4)));
    y = manager.create(new long[] {0, 2, 1});
  }

  @AfterEach
  void tearDown() {
    manager.close();
  }

  @Test
  void unitScalesGiveExactlyTheUnguidedSamplesForEverySampler() {
    VelocityField plain =
        (xs, t) -> net.predict(xs, manager.full(new Shape(xs.getShape().get(0)), t), y).vFinal();
    Guidance unit = new Guidance(1f, 0.3f, 1f, 1f, 0f, 0.7f);
    VelocityField guided = unit.field(net, y, K);
    for (Sampler s : Sampler.values()) {
      double[] grid = s.grid(8, 1.0);
      NDArray a = s.run(plain, x, grid, NoiseStream.seeded(new SplittableRandom(5)));
      NDArray b = s.run(guided, x, grid, NoiseStream.seeded(new SplittableRandom(5)));
      assertArrayEquals(a.toFloatArray(), b.toFloatArray(), 0f, s.configName());
    }
  }

  @Test
  void cfgDoublesTheBatchWithNullLabelsOnlyInsideItsInterval() {
    List<long[]> labelsSeen = new ArrayList<>();
    VelocityNet recording =
        (xs, t, ys) -> {
          labelsSeen.add(ys.toLongArray());
          return net.predict(xs, t, ys);
        };
    VelocityField f = Guidance.none().withCfg(2f, 0f, 0.7f).field(recording, y, K);
    f.at(x, 0.8f);
    f.at(x, 0.7f);
    assertArrayEquals(new long[] {0, 2, 1}, labelsSeen.get(0));
    assertArrayEquals(new long[] {0, 2, 1, K, K, K}, labelsSeen.get(1));
  }

  @Test
  void cfgCombinesTheHalvesAsUnconditionalPlusScaledDifference() {
    float w = 1.5f;
    NDArray v = Guidance.none().withCfg(w, 0f, 1f).field(net, y, K).at(x, 0.5f);
    NDArray t = manager.full(new Shape(3), 0.5f);
    NDArray vc = net.predict(x, t, y).vFinal();
    NDArray vu = net.predict(x, t, manager.full(new Shape(3), K, DataType.INT64)).vFinal();
    NDArray expected = vu.add(vc.sub(vu).mul(w));
    assertArrayEquals(expected.toFloatArray(), v.toFloatArray(), 1e-6f);
  }

  @Test
  void igExtrapolatesFromTheIntermediateHeadInsideItsClosedInterval() {
    float w = 1.7f;
    Guidance g = Guidance.ig(w, 0.3f, 1f);
    NDArray t = manager.full(new Shape(3), 0.3f);
    Velocities v = net.predict(x, t, y);
    NDArray expected = v.vIntermediate().add(v.vFinal().sub(v.vIntermediate()).mul(w));
    assertArrayEquals(expected.toFloatArray(), g.field(net, y, K).at(x, 0.3f).toFloatArray(), 0f);
    NDArray below = g.field(net, y, K).at(x, 0.29f);
    NDArray tBelow = manager.full(new Shape(3), 0.29f);
    assertArrayEquals(net.predict(x, tBelow, y).vFinal().toFloatArray(), below.toFloatArray(), 0f);
  }

  @Test
  void igWithoutAnIntermediateHeadIsRejectedNamingTheScale() {
    VelocityNet headless = (xs, t, ys) -> new Velocities(net.predict(xs, t, ys).vFinal(), null);
    InvalidInputException e =
        assertThrows(
            InvalidInputException.class,
            () -> Guidance.ig(1.4f, 0f, 1f).field(headless, y, K).at(x, 0.5f));
    assertTrue(e.getMessage().contains("ig_scale"), e.getMessage());
  }

  @Test
  void intervalOutsideTheUnitRangeIsRejectedWithItsKey() {
    InvalidInputException e =
        assertThrows(InvalidInputException.class, () -> Guidance.ig(1.4f, 0.5f, 1.2f));
    assertTrue(e.getMessage().contains("ig_interval"), e.getMessage());
    e = assertThrows(InvalidInputException.class, () -> Guidance.none().withCfg(2f, 0.8f, 0.7f));
    assertTrue(e.getMessage().contains("cfg_interval"), e.getMessage());
  }

  @Test
  void lightningDitIntervalIsMirroredIntoSitTime() {
    assertArrayEquals(new float[] {0f, 0.81f}, Guidance.lightningDitInterval(0.19f, 1f), 1e-7f);
    assertEquals(0.81f, 1f - 0.19f);
  }
}
