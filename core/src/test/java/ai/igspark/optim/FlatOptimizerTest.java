package ai.igspark.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.igspark.model.IgDiT;
import ai.igspark.model.IgDiTNet;
import ai.igspark.model.Presets;
import ai.igspark.tensor.FlatLayout;
import ai.igspark.tensor.FlatParameters;
import ai.igspark.tensor.GradScope;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The flat AdamW, Muon, EMA and clipping against the per-parameter code, bitwise, on the parameters of
 * a small SiT: groups small enough that the model spans many of them and some parameters are
 * groups of their own.
 */
class FlatOptimizerTest {
  static final int STEPS = 20;
  static final long GROUP_FLOATS = 2_000;
  static final float EMA_DECAY = 0.9f;

  NDManager manager;

  @BeforeEach
  void setUp() {
    manager = NDManager.newBaseManager();
  }

  @AfterEach
  void tearDown() {
    manager.close();
  }

  private Map<String, NDArray> sitTinyParameters() {
    IgDiT model = IgDiT.create(Presets.get("sit-tiny"), manager, 5);
    Map<String, NDArray> copy = new LinkedHashMap<>();
    new IgDiTNet(model).trainableParameters().forEach((k, v) -> copy.put(k, v.duplicate()));
    return copy;
  }

  /** Gradients of step {@code step}: Gaussian, scaled so clipping at 1.0 is active. */
  private Map<String, NDArray> gradients(Map<String, NDArray> params, int step) {
    SplittableRandom rng = new SplittableRandom(1000 + step);
    Map<String, NDArray> out = new LinkedHashMap<>();
    params.forEach((name, p) -> {
      float[] v = new float[(int) p.getShape().size()];
      for (int i = 0; i < v.length; i++) {
        v[i] = (float) (rng.nextGaussian() * 0.05);
      }
      out.put(name, manager.create(v, p.getShape()));
    });
    return out;
  }

  /** The EMA as the code updated it parameter by parameter: ema ← d·ema + (1 − d)·p. */
  private static void referenceEma(Map<String, NDArray> ema, Map<String, NDArray> params) {
    Scalars s = new Scalars();
    ema.forEach((name, e) -> {
      NDArray p = params.get(name);
      e.muli(s.of(p, EMA_DECAY)).addi(p.mul(s.of(p, 1f - EMA_DECAY)));
    });
  }

  private static void assertBitwise(Map<String, NDArray> expected, Map<String, NDArray> actual,
      String what) {
    assertEquals(new ArrayList<>(expected.keySet()), new ArrayList<>(actual.keySet()), what);
    expected.forEach((name, e) -> {
      NDArray a = actual.get(name);
      assertEquals(e.getShape(), a.getShape(), what + " " + name);
      if (name.equals(OptimizerState.STEP)) {
        assertEquals(e.toArray()[0], a.toArray()[0], what + " " + name);
        return;
      }
      float[] ev = e.toFloatArray();
      float[] av = a.toFloatArray();
      for (int i = 0; i < ev.length; i++) {
        assertEquals(Float.floatToRawIntBits(ev[i]), Float.floatToRawIntBits(av[i]),
            what + " " + name + "[" + i + "]: " + ev[i] + " vs " + av[i]);
      }
    });
  }

  @Test
  void flatAdamWithClippingWeightDecayAndEmaEqualsPerParameterBitwiseOverTwentySteps() {
    Map<String, NDArray> refParams = sitTinyParameters();
    Map<String, NDArray> flatParams = sitTinyParameters();
    FlatLayout layout = FlatLayout.of(flatParams, GROUP_FLOATS);
    assertTrue(layout.groups().size() > 5, "groups: " + layout.groups().size());
    assertTrue(layout.groups().stream().anyMatch(g -> g.count() == 1 && g.floats() > GROUP_FLOATS),
        "some parameter is larger than a group");
    AdamW.Config config = new AdamW.Config(0.9f, 0.999f, 1e-8f, 0.05f);
    ParamOptimizer reference = new PerParameterAdamW(manager, config);
    ParamOptimizer flat = new AdamW(manager, config, GROUP_FLOATS);
    Map<String, NDArray> refEma = new LinkedHashMap<>();
    refParams.forEach((k, v) -> refEma.put(k, v.duplicate()));
    Ema flatEma = new Ema(manager, flatParams, EMA_DECAY, GROUP_FLOATS);
    int clipped = 0;
    for (int step = 0; step < STEPS; step++) {
      Map<String, NDArray> refGrads = gradients(refParams, step);
      Map<String, NDArray> flatGrads = gradients(flatParams, step);
      double norm = GradientNorm.of(flatGrads.values());
      assertEquals(Double.doubleToRawLongBits(hostNorm(refGrads.values())),
          Double.doubleToRawLongBits(norm), "norm of step " + step);
      float scale = GradientNorm.clipScale(1.0, norm);
      clipped += scale < 1f ? 1 : 0;
      float lr = 1e-3f * (step + 1) / STEPS;
      reference.step(refParams, refGrads, lr, scale);
      flat.step(flatParams, flatGrads, lr, scale);
      referenceEma(refEma, refParams);
      flatEma.update(flatParams);
    }
    assertEquals(STEPS, clipped, "clipping was active on every step");
    assertBitwise(refParams, flatParams, "parameters");
    assertBitwise(reference.state(), flat.state(), "optimizer state");
    assertBitwise(refEma, flatEma.weights(), "EMA");
  }

  /**
   * The trainer's path: parameters stored flat as the model stores them, their gradients left by
   * backward in one buffer per group, AdamW on whole groups and an EMA that shares the groups (and
   * gathers one extra, as pos_embed under the frozen decay), against the per-parameter code.
   */
  @Test
  void adamWAndEmaOnFlatParametersEqualPerParameterBitwiseOverTwentySteps() {
    Map<String, NDArray> refParams = sitTinyParameters();
    FlatParameters flat = new FlatParameters(manager, FlatLayout.of(refParams, GROUP_FLOATS));
    refParams.forEach((name, p) -> flat.write(name, FloatBuffer.wrap(p.toFloatArray())));
    assertTrue(flat.layout().groups().size() > 5, "groups: " + flat.layout().groups().size());
    NDArray extra = manager.create(new float[] {0.5f, -2f, 3f});
    Map<String, NDArray> extras = Map.of("extra", extra);
    AdamW.Config config = new AdamW.Config(0.9f, 0.999f, 1e-8f, 0.05f);
    ParamOptimizer reference = new PerParameterAdamW(manager, config);
    ParamOptimizer flatAdam = new AdamW(manager, config, GROUP_FLOATS);
    Map<String, NDArray> refEma = new LinkedHashMap<>();
    refEma.put("extra", extra.duplicate());
    refParams.forEach((k, v) -> refEma.put(k, v.duplicate()));
    Ema flatEma = new Ema(manager, extras, flat, EMA_DECAY);
    Map<String, NDArray> emaInputs = new LinkedHashMap<>(extras);
    emaInputs.putAll(flat.views());
    Map<String, NDArray> refInputs = new LinkedHashMap<>(extras);
    refInputs.putAll(refParams);
    for (int step = 0; step < STEPS; step++) {
      Map<String, NDArray> refGrads = gradients(refParams, step);
      flat.zeroGradients();
      backwardLeaving(flat, refGrads);
      double norm;
      try (NDScope scope = new NDScope()) {
        norm = GradientNorm.of(flat.gradientViews().values());
      }
      assertEquals(Double.doubleToRawLongBits(hostNorm(refGrads.values())),
          Double.doubleToRawLongBits(norm), "norm of step " + step);
      float scale = GradientNorm.clipScale(1.0, norm);
      float lr = 1e-3f * (step + 1) / STEPS;
      reference.step(refParams, refGrads, lr, scale);
      flatAdam.step(flat, lr, scale);
      referenceEma(refEma, refInputs);
      flatEma.update(emaInputs);
    }
    assertBitwise(refParams, flat.views(), "parameters");
    assertBitwise(reference.state(), flatAdam.state(), "optimizer state");
    assertBitwise(refEma, flatEma.weights(), "EMA");
  }

  /** One backward of Σ ⟨p, G⟩, whose gradient with respect to each parameter is G exactly. */
  private static void backwardLeaving(FlatParameters flat, Map<String, NDArray> grads) {
    try (NDScope scope = new NDScope();
        GradScope grad = new GradScope()) {
      NDArray loss = null;
      for (Map.Entry<String, NDArray> e : flat.forwardViews().entrySet()) {
        NDArray term = e.getValue().mul(grads.get(e.getKey())).sum();
        loss = loss == null ? term : loss.add(term);
      }
      grad.backward(loss);
    }
  }

  @Test
  void flatMuonWithItsAuxiliaryAdamAndClippingEqualsPerParameterBitwiseOverTwentySteps() {
    Map<String, NDArray> refParams = sitTinyParameters();
    Map<String, NDArray> flatParams = sitTinyParameters();
    assertTrue(refParams.values().stream().anyMatch(p -> p.getShape().dimension() > 2),
        "a parameter is flattened to [rows, -1] for Newton-Schulz");
    Muon.Config config = new Muon.Config(0.95f, 5, 0.01f, 0.9f, 0.95f, 1e-8f, 0.02f);
    ParamOptimizer reference = new PerParameterMuon(manager, config);
    ParamOptimizer flat = new Muon(manager, config, GROUP_FLOATS);
    for (int step = 0; step < STEPS; step++) {
      Map<String, NDArray> refGrads = gradients(refParams, step);
      float scale = GradientNorm.clipScale(1.0, GradientNorm.of(refGrads.values()));
      assertTrue(scale < 1f, "clipping is active in step " + step);
      float lr = 2e-2f * (step + 1) / STEPS;
      reference.step(refParams, refGrads, lr, scale);
      flat.step(flatParams, gradients(flatParams, step), lr, scale);
    }
    assertBitwise(refParams, flatParams, "parameters");
    assertBitwise(reference.state(), flat.state(), "optimizer state");
  }

  @Test
  void flatMuonResumesFromThePerParameterStateBitwise() {
    Muon.Config config = Muon.Config.lightningDit();
    Map<String, NDArray> a = sitTinyParameters();
    Map<String, NDArray> b = sitTinyParameters();
    ParamOptimizer first = new PerParameterMuon(manager, config);
    for (int step = 0; step < 3; step++) {
      first.step(a, gradients(a, step), 1e-2f);
    }
    b.forEach((name, p) -> p.set(a.get(name).toFloatArray()));
    ParamOptimizer resumed = new Muon(manager, config, GROUP_FLOATS);
    resumed.loadState(first.state());
    for (int step = 3; step < 6; step++) {
      first.step(a, gradients(a, step), 1e-2f);
      resumed.step(b, gradients(b, step), 1e-2f);
    }
    assertBitwise(a, b, "parameters");
    assertBitwise(first.state(), resumed.state(), "optimizer state");
  }

  /** Today's norm: the per-tensor norms read to the host and summed there in double. */
  private static double hostNorm(java.util.Collection<NDArray> grads) {
    double sumSq = 0;
    for (NDArray g : grads) {
      double n = g.norm().getFloat();
      sumSq += n * n;
    }
    return Math.sqrt(sumSq);
  }

  @Test
  void flatAdamWLoadedBeforeItsFirstStepResumesBitwise() {
    AdamW.Config config = new AdamW.Config(0.9f, 0.999f, 1e-8f, 0.05f);
    Map<String, NDArray> a = sitTinyParameters();
    Map<String, NDArray> b = sitTinyParameters();
    AdamW first = new AdamW(manager, config, GROUP_FLOATS);
    for (int step = 0; step < 3; step++) {
      first.step(a, gradients(a, step), 1e-3f);
    }
    b.forEach((name, p) -> p.set(a.get(name).toFloatArray()));
    AdamW resumed = new AdamW(manager, config, GROUP_FLOATS);
    resumed.loadState(first.state());
    for (int step = 3; step < 6; step++) {
      first.step(a, gradients(a, step), 1e-3f);
      resumed.step(b, gradients(b, step), 1e-3f);
    }
    assertBitwise(a, b, "parameters");
    assertBitwise(first.state(), resumed.state(), "optimizer state");
  }

  @Test
  void loadedEmaWeightsAreWrittenIntoTheFlatBufferThatUpdatesContinue() {
    Map<String, NDArray> p = new LinkedHashMap<>();
    p.put("w", manager.create(new float[] {1f, 2f, 3f, 4f}, new Shape(2, 2)));
    p.put("b", manager.create(new float[] {5f}));
    Ema ema = new Ema(manager, p, 0.5f);
    ema.load(Map.of("w", manager.zeros(new Shape(2, 2)), "b", manager.ones(new Shape(1))));
    ema.update(p);
    assertArrayEquals(new float[] {0.5f, 1f, 1.5f, 2f}, ema.weights().get("w").toFloatArray());
    assertArrayEquals(new float[] {3f}, ema.weights().get("b").toFloatArray());
  }
}
