package ai.igspark.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.igspark.data.InvalidInputException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class OptimizersTest {
  NDManager manager;
  SplittableRandom rng = new SplittableRandom(1);

  @BeforeEach
  void setUp() {
    manager = NDManager.newBaseManager();
  }

  @AfterEach
  void tearDown() {
    manager.close();
  }

  private NDArray randn(long... shape) {
    Shape s = new Shape(shape);
    float[] v = new float[(int) s.size()];
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) rng.nextGaussian();
    }
    return manager.create(v, s);
  }

  private Map<String, NDArray> params() {
    Map<String, NDArray> p = new LinkedHashMap<>();
    p.put("w", randn(6, 3));
    p.put("conv", randn(4, 2, 2, 2));
    p.put("b", randn(5));
    return p;
  }

  private static Map<String, NDArray> copy(NDManager m, Map<String, NDArray> src) {
    Map<String, NDArray> out = new LinkedHashMap<>();
    src.forEach((k, v) -> out.put(k, v.duplicate()));
    return out;
  }

  /** Resuming from exported state gives the same parameters as never stopping. */
  private void checkResume(Supplier<ParamOptimizer> make) {
    Map<String, NDArray> p0 = params();
    List<Map<String, NDArray>> grads = List.of(params(), params(), params());
    Map<String, NDArray> straight = copy(manager, p0);
    ParamOptimizer a = make.get();
    for (Map<String, NDArray> g : grads) {
      a.step(straight, g, 1e-2f);
    }
    Map<String, NDArray> resumed = copy(manager, p0);
    ParamOptimizer b = make.get();
    b.step(resumed, grads.get(0), 1e-2f);
    b.step(resumed, grads.get(1), 1e-2f);
    Map<String, NDArray> saved = copy(manager, b.state());
    assertEquals(2L, saved.get("step").getLong());
    ParamOptimizer c = make.get();
    c.loadState(saved);
    assertEquals(2, c.steps());
    c.step(resumed, grads.get(2), 1e-2f);
    for (String k : p0.keySet()) {
      assertArrayEquals(straight.get(k).toFloatArray(), resumed.get(k).toFloatArray(), 0f, k);
    }
  }

  @Test
  void adamWResumesExactlyFromExportedState() {
    checkResume(() -> new AdamW(manager, new AdamW.Config(0.9f, 0.999f, 1e-8f, 0.1f)));
  }

  @Test
  void muonResumesExactlyFromExportedState() {
    checkResume(() -> new Muon(manager, Muon.Config.lightningDit()));
  }

  @Test
  void muonStateHoldsMomentumForMatricesAndAdamMomentsForVectors() {
    Muon muon = new Muon(manager, Muon.Config.lightningDit());
    Map<String, NDArray> p = params();
    muon.step(p, params(), 1e-3f);
    Map<String, NDArray> s = muon.state();
    assertEquals(new Shape(6, 3), s.get("w.momentum_buffer").getShape());
    assertEquals(new Shape(4, 8), s.get("conv.momentum_buffer").getShape());
    assertTrue(s.containsKey("b.exp_avg") && s.containsKey("b.exp_avg_sq"));
    assertFalse(s.containsKey("w.exp_avg"));
  }

  @Test
  void newtonSchulzOrthogonalizesApproximately() {
    // The quintic iteration drives singular values into roughly [0.7, 1.2], not exactly to 1.
    NDArray o = NewtonSchulz.orthogonalize(randn(8, 4), 5);
    NDArray gram = o.transpose().matMul(o);
    float[] g = gram.toFloatArray();
    for (int i = 0; i < 4; i++) {
      assertTrue(g[i * 4 + i] > 0.4f && g[i * 4 + i] < 1.5f, "diagonal " + g[i * 4 + i]);
    }
    assertEquals(new Shape(8, 4), o.getShape());
  }

  @Test
  void loadingStateOfTheWrongShapeIsRejectedWithItsName() {
    AdamW a = new AdamW(manager, AdamW.Config.sit());
    Map<String, NDArray> p = params();
    a.step(p, params(), 1e-3f);
    Map<String, NDArray> bad = new LinkedHashMap<>(copy(manager, a.state()));
    bad.put("w.exp_avg", manager.zeros(new Shape(3, 6)));
    AdamW b = new AdamW(manager, AdamW.Config.sit());
    b.loadState(bad);
    InvalidInputException e =
        assertThrows(InvalidInputException.class, () -> b.step(p, params(), 1e-3f));
    assertTrue(e.getMessage().contains("w.exp_avg"), e.getMessage());
  }

  @Test
  void stateWithoutStepIsRejected() {
    AdamW a = new AdamW(manager, AdamW.Config.sit());
    InvalidInputException e =
        assertThrows(InvalidInputException.class, () -> a.loadState(Map.of()));
    assertTrue(e.getMessage().contains("'step'"), e.getMessage());
  }

  @Test
  void updatesWorkOnParametersThatRequireGradOnAFreshThread() throws Exception {
    Map<String, NDArray> p = params();
    p.values().forEach(v -> v.setRequiresGradient(true));
    Map<String, NDArray> g = params();
    float before = p.get("b").toFloatArray()[0];
    Throwable[] failure = new Throwable[1];
    Thread t =
        new Thread(
            () -> {
              try {
                new AdamW(manager, AdamW.Config.sit()).step(p, g, 1e-1f);
              } catch (Throwable e) {
                failure[0] = e;
              }
            });
    t.start();
    t.join();
    if (failure[0] != null) {
      throw new AssertionError(failure[0]);
    }
    assertTrue(p.get("b").toFloatArray()[0] != before);
  }
}
