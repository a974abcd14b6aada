package ai.igspark.diffusion;

import static ai.igspark.diffusion.Fixtures.assertClose;
import static ai.igspark.diffusion.Fixtures.npy;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.igspark.optim.AdamW;
import ai.igspark.optim.Muon;
import ai.igspark.optim.ParamOptimizer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Parity against the independent PyTorch reference (src/test/python/diffusion_reference.py, run by
 * gen_diffusion_parity.py with torch 1.13), tolerance 1e-4 absolute.
 */
class DiffusionParityTest {
  static final double TOL = 1e-4;
  static final int NUM_CLASSES = 3;
  static final int GLOBAL_BATCH = 6;

  NDManager manager;
  TinyTwoHeadNet net;

  @BeforeEach
  void setUp() {
    manager = NDManager.newBaseManager();
    Map<String, NDArray> weights = new LinkedHashMap<>();
    for (String name : TinyTwoHeadNet.NAMES) {
      weights.put(name, npy(manager, "net." + name));
    }
    net = TinyTwoHeadNet.of(manager, weights);
  }

  @AfterEach
  void tearDown() {
    manager.close();
  }

  private LossDraws draws() {
    return new LossDraws(
        npy(manager, "loss.t"),
        npy(manager, "loss.noise"),
        npy(manager, "loss.drop").toType(DataType.BOOLEAN, false));
  }

  @Test
  void sitLossMatchesReference() {
    IgLoss loss = new IgLoss(NUM_CLASSES, 0.5f, 0.1f, TimeSampling.UNIFORM, false);
    LossTerms terms =
        loss.compute(net, npy(manager, "loss.x0"), npy(manager, "loss.y"), draws(), GLOBAL_BATCH);
    assertClose(npy(manager, "loss.sit.total"), terms.total().reshape(1), TOL, "total");
    assertClose(npy(manager, "loss.sit.per_sample"), terms.perSample(), TOL, "per sample");
  }

  @Test
  void lightningDitLossWithCosineTermMatchesReferenceInItsOwnTime() {
    IgLoss loss = new IgLoss(NUM_CLASSES, 0.5f, 0.1f, TimeSampling.UNIFORM, true);
    VelocityNet sitView = TimeConvention.LIGHTNINGDIT.toSitTime(net);
    LossTerms terms =
        loss.compute(
            sitView, npy(manager, "loss.x0"), npy(manager, "loss.y"), draws(), GLOBAL_BATCH);
    assertClose(npy(manager, "loss.lightningdit.total"), terms.total().reshape(1), TOL, "total");
    assertClose(npy(manager, "loss.lightningdit.per_sample"), terms.perSample(), TOL, "per sample");
  }

  private static final Map<String, Guidance> GUIDANCES =
      Map.of(
          "ig", Guidance.ig(1.7f, 0.35f, 1f),
          "cfg", Guidance.none().withCfg(2.0f, 0f, 0.65f),
          "both", Guidance.ig(1.4f, 0f, 1f).withCfg(1.35f, 0f, 0.65f));

  private void checkSampler(Sampler sampler, int steps, Function<NDArray, NoiseStream> noise) {
    for (Map.Entry<String, Guidance> g : GUIDANCES.entrySet()) {
      NDArray x = npy(manager, "sample.x_init");
      VelocityField field = g.getValue().field(net, npy(manager, "sample.y"), NUM_CLASSES);
      NDArray out = sampler.run(field, x, sampler.grid(steps, 1.0), noise.apply(x));
      String name = "sample." + sampler.configName() + "." + g.getKey();
      assertClose(npy(manager, name), out, TOL, name);
    }
  }

  @Test
  void odeEulerWithIgCfgAndBothMatchesReference() {
    checkSampler(Sampler.ODE_EULER, 10, x -> null);
  }

  @Test
  void odeHeunWithIgCfgAndBothMatchesReference() {
    checkSampler(Sampler.ODE_HEUN, 10, x -> null);
  }

  @Test
  void sdeEulerMaruyamaWithInjectedNoiseMatchesFloat64Reference() {
    checkSampler(
        Sampler.SDE_EM,
        12,
        x -> {
          NDArray all = npy(manager, "sample.sde_noise");
          List<NDArray> draws = new ArrayList<>();
          for (int i = 0; i < all.getShape().get(0); i++) {
            draws.add(all.get(i));
          }
          return like -> draws.remove(0);
        });
  }

  @Test
  void sdeEulerMaruyamaOver250StepsStaysWithinToleranceOfTheFloat64Reference() {
    NDArray all = npy(manager, "sample.sde_noise_250");
    int[] next = {0};
    NoiseStream noise = like -> all.get(next[0]++);
    VelocityField field = GUIDANCES.get("both").field(net, npy(manager, "sample.y"), NUM_CLASSES);
    NDArray out =
        Sampler.SDE_EM.run(
            field, npy(manager, "sample.x_init"), Sampler.SDE_EM.grid(250, 1), noise);
    assertEquals(249, next[0]);
    assertClose(npy(manager, "sample.sde-em.both.250"), out, TOL, "sde-em 250 steps");
  }

  @Test
  void lightningDitHeun2WithShiftMatchesReferenceRunInLightningDitTime() {
    VelocityNet sitView = TimeConvention.LIGHTNINGDIT.toSitTime(net);
    float[] cfg = Guidance.lightningDitInterval(0.19f, 1f);
    Guidance g = Guidance.ig(1.4f, 0f, 1f).withCfg(1.45f, cfg[0], cfg[1]);
    VelocityField field = g.field(sitView, npy(manager, "sample.y"), NUM_CLASSES);
    double[] grid = Sampler.ODE_HEUN2.grid(12, 0.3);
    NDArray out = Sampler.ODE_HEUN2.run(field, npy(manager, "sample.x_init"), grid, null);
    assertClose(npy(manager, "sample.ode-heun2.lightningdit"), out, TOL, "heun2");
  }

  private static final List<String> OPT_PARAMS =
      List.of("a.weight", "b.weight", "conv.weight", "b.bias");

  private void checkOptimizer(ParamOptimizer opt, String name, float lr) {
    Map<String, NDArray> params = new LinkedHashMap<>();
    for (String p : OPT_PARAMS) {
      params.put(p, npy(manager, "optim.param." + p));
    }
    for (int step = 1; step <= 2; step++) {
      Map<String, NDArray> grads = new LinkedHashMap<>();
      for (String p : OPT_PARAMS) {
        grads.put(p, npy(manager, "optim.grad" + step + "." + p));
      }
      opt.step(params, grads, lr);
      for (String p : OPT_PARAMS) {
        String key = "optim." + name + ".step" + step + "." + p;
        assertClose(npy(manager, key), params.get(p), TOL, key);
      }
    }
  }

  @Test
  void adamWTwoStepsMatchReference() {
    checkOptimizer(
        new AdamW(manager, new AdamW.Config(0.9f, 0.999f, 1e-8f, 0.05f)), "adamw", 1e-3f);
  }

  @Test
  void muonWithAuxAdamTwoStepsMatchReference() {
    checkOptimizer(new Muon(manager, Muon.Config.lightningDit()), "muon", 0.02f);
  }
}
