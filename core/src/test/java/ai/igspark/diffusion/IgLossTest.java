package ai.igspark.diffusion;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.igspark.data.InvalidInputException;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class IgLossTest {
  static final int K = 3;
  NDManager manager;
  TinyTwoHeadNet net;
  NDArray x0;
  NDArray y;

  @BeforeEach
  void setUp() {
    manager = NDManager.newBaseManager();
    net = TinyTwoHeadNet.random(manager, 2, 16, K, 4, 4, 11);
    x0 = NoiseStream.seeded(new SplittableRandom(2)).next(manager.zeros(new Shape(6, 2, 4, 4)));
    y = manager.create(new long[] {0, 1, 2, 0, 1, 2});
  }

  @AfterEach
  void tearDown() {
    manager.close();
  }

  private static LossDraws slice(LossDraws d, String r) {
    return new LossDraws(d.t().get(r), d.noise().get(r), d.dropLabel().get(r));
  }

  @Test
  void unevenSlicesNormalisedByTheGlobalBatchSumToTheGlobalMean() {
    IgLoss loss = IgLoss.lightningDit(K);
    LossDraws d = loss.draw(x0, new SplittableRandom(4));
    float full = loss.compute(net, x0, y, d, 6).total().getFloat();
    float a = loss.compute(net, x0.get("0:1"), y.get("0:1"), slice(d, "0:1"), 6).total().getFloat();
    float b = loss.compute(net, x0.get("1:6"), y.get("1:6"), slice(d, "1:6"), 6).total().getFloat();
    assertEquals(full, a + b, 1e-6f);
    float mean = 0;
    for (float l : loss.compute(net, x0, y, d, 6).perSample().toFloatArray()) {
      mean += l / 6;
    }
    assertEquals(mean, full, 1e-6f);
  }

  @Test
  void perSampleLossIsFinalPlusHalfIntermediate() {
    LossTerms terms = IgLoss.sit(K).compute(net, x0, y, 6, new SplittableRandom(1));
    NDArray expected = terms.perSampleFinal().add(terms.perSampleIntermediate().mul(0.5f));
    assertArrayEquals(expected.toFloatArray(), terms.perSample().toFloatArray(), 1e-6f);
    assertArrayEquals(new float[6], terms.perSampleCosine().toFloatArray(), 0f);
  }

  @Test
  void droppedLabelsAreReplacedByTheNullClass() {
    List<long[]> seen = new ArrayList<>();
    VelocityNet recording =
        (x, t, ys) -> {
          seen.add(ys.toLongArray());
          return net.predict(x, t, ys);
        };
    boolean[] drop = {true, false, false, true, false, false};
    LossDraws d =
        new LossDraws(manager.full(new Shape(6), 0.5f), x0.zerosLike(), manager.create(drop));
    IgLoss.sit(K).compute(recording, x0, y, d, 6);
    assertArrayEquals(new long[] {K, 1, 2, K, 1, 2}, seen.get(0));
  }

  @Test
  void theSameSeedDrawsTheSameTimesNoiseAndDropout() {
    IgLoss loss = IgLoss.sit(K);
    LossDraws a = loss.draw(x0, new SplittableRandom(9));
    LossDraws b = loss.draw(x0, new SplittableRandom(9));
    assertArrayEquals(a.t().toFloatArray(), b.t().toFloatArray(), 0f);
    assertArrayEquals(a.noise().toFloatArray(), b.noise().toFloatArray(), 0f);
    assertArrayEquals(a.dropLabel().toBooleanArray(), b.dropLabel().toBooleanArray());
  }

  @Test
  void drawsHoldTheGeneratorSequenceInOrderTimesThenNoise() {
    LossDraws d = IgLoss.sit(K).draw(x0, new SplittableRandom(12));
    SplittableRandom rng = new SplittableRandom(12);
    float[] t = new float[6];
    for (int i = 0; i < 6; i++) {
      t[i] = rng.nextFloat();
    }
    assertArrayEquals(t, d.t().toFloatArray(), 0f);
    assertEquals((float) rng.nextGaussian(), d.noise().toFloatArray()[0], 0f);
  }

  @Test
  void lognormalTimesLieStrictlyInsideTheUnitInterval() {
    SplittableRandom rng = new SplittableRandom(3);
    double sum = 0;
    for (int i = 0; i < 10_000; i++) {
      float t = TimeSampling.LOGNORMAL.draw(rng);
      assertTrue(t > 0f && t < 1f);
      sum += t;
    }
    assertEquals(0.5, sum / 10_000, 0.02); // sigmoid of a standard normal is symmetric about 1/2
  }

  @Test
  void aNetWithoutIgHeadHasNoIntermediateLoss() {
    VelocityNet headless = (x, t, ys) -> new Velocities(net.predict(x, t, ys).vFinal(), null);
    LossTerms terms = IgLoss.sit(K).compute(headless, x0, y, 6, new SplittableRandom(1));
    assertArrayEquals(new float[6], terms.perSampleIntermediate().toFloatArray(), 0f);
  }

  @Test
  void dropoutProbabilityOutsideTheUnitIntervalIsRejectedWithItsKey() {
    InvalidInputException e =
        assertThrows(
            InvalidInputException.class,
            () -> new IgLoss(K, 0.5f, 1.5f, TimeSampling.UNIFORM, false));
    assertTrue(e.getMessage().contains("class_dropout must be in [0, 1), got 1.5"), e.getMessage());
  }
}
