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
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class SamplersTest {
  NDManager manager;
  NDArray x;
  NDArray c;

  @BeforeEach
  void setUp() {
    manager = NDManager.newBaseManager();
    x = manager.create(new float[] {1f, -2f, 0.5f, 3f}, new Shape(1, 1, 2, 2));
    c = manager.create(new float[] {0.5f, 1f, -1f, 2f}, new Shape(1, 1, 2, 2));
  }

  @AfterEach
  void tearDown() {
    manager.close();
  }

  @Test
  void eulerMovesAConstantVelocityFieldFromNoiseToData() {
    NDArray out = Samplers.euler((xs, t) -> c, x, TimeGrid.uniform(7));
    assertArrayEquals(x.sub(c).toFloatArray(), out.toFloatArray(), 1e-6f);
  }

  @Test
  void heun2IsExactForVelocityLinearInTime() {
    // ∫_1^0 t·c dt = −c/2; the trapezoid rule is exact for it when every step is corrected.
    NDArray out = Samplers.heun((xs, t) -> c.mul(t), x, TimeGrid.uniform(5), true);
    assertArrayEquals(x.sub(c.mul(0.5f)).toFloatArray(), out.toFloatArray(), 1e-6f);
  }

  @Test
  void heunSkipsTheCorrectionOnTheLastStepAndHeun2DoesNot() {
    List<Float> times = new ArrayList<>();
    VelocityField f =
        (xs, t) -> {
          times.add(t);
          return c;
        };
    Sampler.ODE_HEUN.run(f, x, Sampler.ODE_HEUN.grid(4, 1.0), null);
    assertEquals(7, times.size());
    assertTrue(times.get(times.size() - 1) > 0f);
    times.clear();
    Sampler.ODE_HEUN2.run(f, x, Sampler.ODE_HEUN2.grid(4, 1.0), null);
    assertEquals(8, times.size());
    assertEquals(0f, times.get(times.size() - 1));
  }

  @Test
  void eulerMaruyamaDrawsNoiseForEveryStepButTheLast() {
    AtomicInteger draws = new AtomicInteger();
    NoiseStream zeros =
        like -> {
          draws.incrementAndGet();
          return like.zerosLike();
        };
    List<Float> times = new ArrayList<>();
    Samplers.eulerMaruyama(
        (xs, t) -> {
          times.add(t);
          return c;
        },
        x,
        TimeGrid.sde(6),
        zeros);
    assertEquals(5, draws.get());
    assertEquals(6, times.size());
    assertEquals(0.04f, times.get(5), 1e-7f);
  }

  @Test
  void eulerMaruyamaStepFollowsTheLinearPathDrift() {
    // One noisy step from t=1 to t=0.04 (grid of 2 evaluations): d = (2−t)·v + x at t = 1.
    double[] grid = {1.0, 0.04, 0.0};
    NDArray eps = manager.ones(x.getShape());
    NDArray out = Samplers.eulerMaruyama((xs, t) -> c, x, new double[] {1.0, 0.04}, like -> eps);
    float dt = -0.96f;
    NDArray expected = x.add(c.add(x).mul(dt)); // last (only) step is deterministic
    assertArrayEquals(expected.toFloatArray(), out.toFloatArray(), 1e-6f);
    NDArray two = Samplers.eulerMaruyama((xs, t) -> c, x, grid, like -> eps);
    NDArray afterNoisy = x.add(c.add(x).mul(dt)).add(eps.mul((float) Math.sqrt(2 * 0.96)));
    NDArray last = afterNoisy.add(c.mul(2f - 0.04f).add(afterNoisy).mul(-0.04f));
    assertArrayEquals(last.toFloatArray(), two.toFloatArray(), 1e-5f);
  }

  @Test
  void unknownSamplerNameIsRejectedWithTheName() {
    InvalidInputException e =
        assertThrows(InvalidInputException.class, () -> Sampler.parse("sampler", "ddim"));
    assertTrue(e.getMessage().contains("'ddim'") && e.getMessage().contains("sampler"));
  }

  @Test
  void timestepShiftOnTheSdeSamplerIsRejected() {
    InvalidInputException e =
        assertThrows(InvalidInputException.class, () -> Sampler.SDE_EM.grid(10, 0.3));
    assertTrue(e.getMessage().contains("timestep_shift"), e.getMessage());
  }

  @Test
  void samplingDoesNotLeaveIntermediateStatesInTheManager() {
    int before = manager.getManagedArrays().size();
    NDArray out = Samplers.heun((xs, t) -> xs.mul(t), x, TimeGrid.uniform(20), false);
    assertEquals(before + 1, manager.getManagedArrays().size());
    out.close();
  }
}
