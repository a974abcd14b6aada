package ai.igspark.realmodel;

import static ai.igspark.realmodel.ModelFixture.assertClose;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.igspark.diffusion.Guidance;
import ai.igspark.diffusion.IgLoss;
import ai.igspark.diffusion.LossDraws;
import ai.igspark.diffusion.NoiseStream;
import ai.igspark.diffusion.Sampler;
import ai.igspark.diffusion.TimeConvention;
import ai.igspark.diffusion.TimeSampling;
import ai.igspark.diffusion.VelocityField;
import ai.igspark.diffusion.VelocityNet;
import ai.igspark.model.IgDiT;
import ai.igspark.model.IgDiTNet;
import ai.igspark.model.ModelConfig;
import ai.igspark.optim.AdamW;
import ai.igspark.optim.LrSchedule;
import ai.igspark.optim.Muon;
import ai.igspark.optim.ParamOptimizer;
import ai.igspark.train.TrainStep;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Samplers, guidance, loss gradients and optimizers on the real tiny SiT and LightningDiT IG models
 * (random non-zero weights, official names) against the independent PyTorch reference
 * (src/test/python/gen_model_sampling_parity.py: ig_reference.py + diffusion_reference.py, torch
 * 1.13), within 1e-4 absolute. The settings below must match that script.
 */
class ModelSamplingParityTest {
  static final double TOL = 1e-4;
  static final int STEPS = 5;
  static final int GLOBAL_BATCH = 4;

  private static final Map<String, Guidance> GUIDANCES =
      Map.of(
          "ig", Guidance.ig(1.7f, 0.35f, 1f),
          "cfg", Guidance.none().withCfg(2.0f, 0f, 0.65f),
          "both", Guidance.ig(1.4f, 0f, 1f).withCfg(1.35f, 0f, 0.65f));

  private final NDManager manager = NDManager.newBaseManager();

  @AfterEach
  void tearDown() {
    manager.close();
  }

  /** The model behind {@code fixture}, seen in SiT time (its convention flipped if needed). */
  private VelocityNet sitNet(ModelFixture fixture) {
    IgDiT model = fixture.model(manager);
    return model.config().timeConvention().toSitTime(new IgDiTNet(model));
  }

  private void checkSampler(String modelName, Sampler sampler, int steps, boolean noisy) {
    ModelFixture f = ModelFixture.named(modelName);
    VelocityNet net = sitNet(f);
    int nullClass = f.config().nullClass();
    for (Map.Entry<String, Guidance> g : GUIDANCES.entrySet()) {
      NoiseStream noise = noisy ? injected(f.npy(manager, "sample.sde_noise")) : null;
      VelocityField field = g.getValue().field(net, f.npy(manager, "sample.y"), nullClass);
      NDArray out =
          sampler.run(field, f.npy(manager, "sample.x_init"), sampler.grid(steps, 1.0), noise);
      String name = "sample." + sampler.configName() + "." + g.getKey();
      double diff = assertClose(f.npy(manager, name), out, TOL, modelName + " " + name);
      System.out.printf("parity %s %s: max |diff| %.3g%n", modelName, name, diff);
    }
  }

  /** The reference's noise draws, one per stochastic step, failing if the sampler wants more. */
  private static NoiseStream injected(NDArray draws) {
    List<NDArray> left = new ArrayList<>();
    for (int i = 0; i < draws.getShape().get(0); i++) {
      left.add(draws.get(i));
    }
    return like -> left.remove(0);
  }

  @ParameterizedTest
  @ValueSource(strings = {"sit-tiny", "lightningdit-tiny"})
  void odeEulerWithIgCfgAndBothMatchesReference(String model) {
    checkSampler(model, Sampler.ODE_EULER, STEPS, false);
  }

  @ParameterizedTest
  @ValueSource(strings = {"sit-tiny", "lightningdit-tiny"})
  void odeHeunWithIgCfgAndBothMatchesReference(String model) {
    checkSampler(model, Sampler.ODE_HEUN, STEPS, false);
  }

  @ParameterizedTest
  @ValueSource(strings = {"sit-tiny", "lightningdit-tiny"})
  void sdeEulerMaruyamaWithInjectedNoiseMatchesFloat64Reference(String model) {
    checkSampler(model, Sampler.SDE_EM, STEPS + 1, true);
  }

  @Test
  void lightningDitHeun2WithShiftMatchesReferenceRunInLightningDitTime() {
    ModelFixture f = ModelFixture.named("lightningdit-tiny");
    assertEquals(TimeConvention.LIGHTNINGDIT, f.config().timeConvention());
    float[] cfg = Guidance.lightningDitInterval(0.19f, 1f);
    Guidance g = Guidance.ig(1.4f, 0f, 1f).withCfg(1.45f, cfg[0], cfg[1]);
    VelocityField field = g.field(sitNet(f), f.npy(manager, "sample.y"), f.config().nullClass());
    double[] grid = Sampler.ODE_HEUN2.grid(STEPS, 0.3);
    NDArray out = Sampler.ODE_HEUN2.run(field, f.npy(manager, "sample.x_init"), grid, null);
    String name = "sample.ode-heun2.lightningdit";
    double diff = assertClose(f.npy(manager, name), out, TOL, "heun2 with shift 0.3");
    System.out.printf("parity lightningdit-tiny %s: max |diff| %.3g%n", name, diff);
  }

  /** The model family's own IG loss: LightningDiT's adds the cosine term, in its own time. */
  private static IgLoss lossOf(ModelConfig cfg) {
    boolean lightning = cfg.family() == ModelConfig.Family.LIGHTNINGDIT;
    return new IgLoss(cfg.numClasses(), 0.5f, 0f, TimeSampling.UNIFORM, lightning);
  }

  @ParameterizedTest
  @ValueSource(strings = {"sit-tiny", "lightningdit-tiny"})
  void trainStepGradientsOfTheIgLossMatchReference(String modelName) {
    ModelFixture f = ModelFixture.named(modelName);
    IgDiT model = f.model(manager);
    IgDiTNet net = new IgDiTNet(model);
    TrainStep step =
        new TrainStep(
            net,
            model.config().timeConvention(),
            lossOf(model.config()),
            new AdamW(manager, AdamW.Config.sit()),
            null,
            LrSchedule.constant(1e-3f),
            0);
    LossDraws draws =
        new LossDraws(
            f.npy(manager, "loss.t"), f.npy(manager, "loss.noise"), f.npy(manager, "loss.drop"));
    step.computeGradients(f.npy(manager, "loss.x0"), f.npy(manager, "loss.y"), draws, GLOBAL_BATCH);
    double worst = 0;
    Map<String, NDArray> grads = net.gradients();
    for (Map.Entry<String, NDArray> e : f.npz(manager, "grads.npz").entrySet()) {
      NDArray grad = grads.get(e.getKey());
      String what = modelName + " gradient of " + e.getKey();
      worst = Math.max(worst, assertClose(e.getValue(), grad, TOL, what));
    }
    System.out.printf("parity %s gradients: max |diff| %.3g%n", modelName, worst);
  }

  /**
   * One step of {@code optimizer} on the model's own parameter arrays (the embedders, block 0 and
   * both final layers: every parameter shape of the model) with the reference gradients injected.
   */
  private void checkOneStep(String modelName, ParamOptimizer optimizer, float lr, String file) {
    ModelFixture f = ModelFixture.named(modelName);
    IgDiT model = f.model(manager);
    Map<String, NDArray> grads = f.npz(manager, "grads.npz");
    Map<String, NDArray> params = new LinkedHashMap<>();
    Map<String, NDArray> live = model.stateDict();
    for (String name : model.trainableNames()) {
      if (grads.containsKey(name)) {
        params.put(name, live.get(name));
      } else {
        assertTrue(name.matches("blocks\\.[1-9].*"), name + " has no reference gradient");
      }
    }
    assertEquals(grads.keySet(), params.keySet());
    optimizer.step(params, grads, lr);
    double worst = 0;
    for (Map.Entry<String, NDArray> e : f.npz(manager, file).entrySet()) {
      String what = modelName + " " + file + " " + e.getKey();
      worst = Math.max(worst, assertClose(e.getValue(), live.get(e.getKey()), TOL, what));
    }
    System.out.printf("parity %s %s: max |diff| %.3g%n", modelName, file, worst);
  }

  @ParameterizedTest
  @ValueSource(strings = {"sit-tiny", "lightningdit-tiny"})
  void oneAdamWStepOnTheModelParametersMatchesReference(String model) {
    AdamW adamW = new AdamW(manager, new AdamW.Config(0.9f, 0.999f, 1e-8f, 0.05f));
    checkOneStep(model, adamW, 1e-2f, "adamw.npz");
  }

  @ParameterizedTest
  @ValueSource(strings = {"sit-tiny", "lightningdit-tiny"})
  void oneMuonStepOnTheModelParametersMatchesReference(String model) {
    checkOneStep(model, new Muon(manager, Muon.Config.lightningDit()), 0.02f, "muon.npz");
  }
}
