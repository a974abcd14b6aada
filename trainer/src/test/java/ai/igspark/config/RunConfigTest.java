package ai.igspark.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.igspark.data.InvalidInputException;
import ai.igspark.diffusion.TimeSampling;
import ai.igspark.train.TrainDriver;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RunConfigTest {
  private static final String MINIMAL =
      """
      run: {dir: runs/x}
      data: {manifest: data/d/dataset.json}
      model: {preset: sit-demo}
      train: {steps: 100}
      """;

  @TempDir Path tmp;

  private Path write(String yaml) throws Exception {
    Path p = tmp.resolve("run.yaml");
    Files.writeString(p, yaml);
    return p;
  }

  private InvalidInputException rejected(String yaml) throws Exception {
    Path p = write(yaml);
    return assertThrows(InvalidInputException.class, () -> RunConfig.load(p));
  }

  @Test
  void everyShippedConfigLoads() throws Exception {
    Path configs = Path.of(System.getProperty("igspark.project.dir", "."), "configs");
    List<Path> files;
    try (Stream<Path> s = Files.list(configs)) {
      files = s.filter(p -> p.toString().endsWith(".yaml")).sorted().toList();
    }
    assertTrue(files.size() >= 4, "configs found: " + files);
    for (Path f : files) {
      RunConfig c = RunConfig.load(f);
      assertTrue(c.model().has("preset"), f + " names a model preset");
    }
    assertEquals("SiT-XL/2",
        RunConfig.load(configs.resolve("sit-xl2-ig.yaml")).model().get("preset").asText());
  }

  @Test
  void shippedRecipesMatchThePaper() throws Exception {
    Path configs = Path.of(System.getProperty("igspark.project.dir", "."), "configs");
    RunConfig xl = RunConfig.load(configs.resolve("sit-xl2-ig.yaml"));
    assertEquals(RunConfig.OptimizerName.ADAMW, xl.train().optimizer().name());
    assertEquals(1e-4, xl.train().optimizer().lr());
    assertEquals(256, xl.train().globalBatch());
    assertEquals(0.9999, xl.train().emaDecay());
    assertEquals(8, xl.model().get("ig_depth").asInt());
    RunConfig b2 = RunConfig.load(configs.resolve("sit-b2-ig.yaml"));
    assertEquals(4, b2.model().get("ig_depth").asInt());
    RunConfig ldit = RunConfig.load(configs.resolve("lightningdit-xl1-ig.yaml"));
    assertEquals(RunConfig.OptimizerName.MUON, ldit.train().optimizer().name());
    assertEquals(2e-4, ldit.train().optimizer().lr());
    assertEquals(1.0, ldit.train().gradClip());
    assertEquals(RunConfig.Flip.RANDOM, ldit.data().flip());
    assertEquals(true, ldit.train().optimizer().decayFrozenPosEmbed());
  }

  @Test
  void absentKeysTakeTheSitRecipeDefaults() throws Exception {
    RunConfig c = RunConfig.load(write(MINIMAL));
    RunConfig.Train t = c.train();
    assertEquals(256, t.globalBatch());
    assertEquals(1e-4, t.optimizer().lr());
    assertEquals(List.of(0.9, 0.999), t.optimizer().betas());
    assertEquals(0.0, t.optimizer().weightDecay());
    assertEquals(0.9999, t.emaDecay());
    assertEquals(1.0, t.gradClip());
    assertEquals(0.5, t.igLossWeight());
    assertEquals(0.1, t.classDropout());
    assertEquals(TimeSampling.UNIFORM, t.timeSampling());
    assertEquals(0L, c.run().seed());
    assertEquals("x", c.run().name());
    assertEquals(50_000L, c.segmentSteps(), "segments default to the checkpoint interval");
  }

  @Test
  void muonDefaultsFollowTheLightningDitRecipe() throws Exception {
    RunConfig c = RunConfig.load(write(MINIMAL.replace("{steps: 100}",
        "{steps: 100, optimizer: {name: muon}}")));
    RunConfig.Optimizer o = c.train().optimizer();
    assertEquals(2e-4, o.lr());
    assertEquals(0.01, o.weightDecay());
    assertEquals(0.95, o.momentum());
    assertEquals(5, o.nsSteps());
    assertEquals(List.of(0.9, 0.95), o.betas());
    assertEquals(2e-4, o.auxLr());
    assertEquals(true, o.decayFrozenPosEmbed(), "the official grouping decays pos_embed");
  }

  @Test
  void adamwLeavesPosEmbedDecayUnsetAndOutOfTheStoredTree() throws Exception {
    RunConfig c = RunConfig.load(write(MINIMAL));
    assertEquals(null, c.train().optimizer().decayFrozenPosEmbed());
    assertFalse(c.toTree().get("train").get("optimizer").has("decay_frozen_pos_embed"),
        "an AdamW run.yaml is written as before");
  }

  @Test
  void posEmbedDecaySwitchedOffReadsBackFromTheResolvedTree() throws Exception {
    RunConfig c = RunConfig.load(write(MINIMAL.replace("{steps: 100}",
        "{steps: 100, optimizer: {name: muon, decay_frozen_pos_embed: false}}")));
    assertEquals(false, c.train().optimizer().decayFrozenPosEmbed());
    RunConfig again = RunConfig.fromTree(c.toTree(), "run.yaml");
    assertEquals(c, again);
    assertFalse(again.train().optimizer().decayFrozenPosEmbed());
  }

  @Test
  void posEmbedDecayWithAdamwIsRejectedAsAMuonSetting() throws Exception {
    var e = rejected(MINIMAL.replace("{steps: 100}",
        "{steps: 100, optimizer: {name: adamw, decay_frozen_pos_embed: true}}"));
    assertTrue(e.getMessage().contains("'decay_frozen_pos_embed' is a muon setting"),
        e.getMessage());
  }

  @Test
  void resolvedTreeReadsBackToTheSameConfig() throws Exception {
    RunConfig c = RunConfig.load(write(MINIMAL));
    RunConfig again = RunConfig.fromTree(c.toTree(), "run.yaml");
    assertEquals(c, again);
    assertTrue(c.toTree().get("train").has("global_batch"), c.toTree().toString());
    assertFalse(c.toTree().get("train").has("epochs"), "absent alternatives are not written");
  }

  @Test
  void unknownKeyIsNamedWithItsPath() throws Exception {
    var e = rejected(
        MINIMAL.replace("{steps: 100}", "{steps: 100, optimizer: {name: adamw, lrr: 1}}"));
    assertTrue(e.getMessage().contains("unknown key 'train.optimizer.lrr'"), e.getMessage());
  }

  @Test
  void wrongTypeNamesTheKey() throws Exception {
    var e = rejected(MINIMAL.replace("{steps: 100}", "{steps: 100, global_batch: many}"));
    assertTrue(e.getMessage().contains("'train.global_batch'"), e.getMessage());
    assertTrue(e.getMessage().contains("an integer"), e.getMessage());
  }

  @Test
  void outOfRangeEmaDecayNamesTheKey() throws Exception {
    var e = rejected(MINIMAL.replace("{steps: 100}", "{steps: 100, ema_decay: 1.5}"));
    assertTrue(e.getMessage().contains("'train'"), e.getMessage());
    assertTrue(e.getMessage().contains("ema_decay must be in [0, 1), got 1.5"), e.getMessage());
  }

  @Test
  void classDropoutOfOneIsRejectedAsTheLossWouldRejectIt() throws Exception {
    var e = rejected(MINIMAL.replace("{steps: 100}", "{steps: 100, class_dropout: 1.0}"));
    assertTrue(e.getMessage().contains("'train'"), e.getMessage());
    assertTrue(e.getMessage().contains("class_dropout must be in [0, 1), got 1.0"), e.getMessage());
  }

  @Test
  void emaDecayThatRoundsToOneInFloat32IsRejectedAsTheEmaWouldRejectIt() throws Exception {
    var e = rejected(MINIMAL.replace("{steps: 100}", "{steps: 100, ema_decay: 0.999999999}"));
    assertTrue(e.getMessage().contains("ema_decay must be in [0, 1)"), e.getMessage());
  }

  @Test
  void timeSamplingIsTheDiffusionEnumReadAndWrittenAsBefore() throws Exception {
    String yaml = MINIMAL.replace("{steps: 100}", "{steps: 100, time_sampling: lognormal}");
    RunConfig c = RunConfig.load(write(yaml));
    assertEquals(TimeSampling.LOGNORMAL, c.train().timeSampling());
    assertEquals("lognormal", c.toTree().get("train").get("time_sampling").asText());
  }

  @Test
  void unknownTimeSamplingListsTheChoices() throws Exception {
    var e = rejected(MINIMAL.replace("{steps: 100}", "{steps: 100, time_sampling: cosine}"));
    assertTrue(e.getMessage().contains("key 'train.time_sampling'"), e.getMessage());
    assertTrue(e.getMessage().contains("one of uniform, lognormal, got 'cosine'"), e.getMessage());
  }

  @Test
  void stepsAndEpochsTogetherAreRejected() throws Exception {
    var e = rejected(MINIMAL.replace("{steps: 100}", "{steps: 100, epochs: 3}"));
    assertTrue(e.getMessage().contains("exactly one of 'steps' and 'epochs'"), e.getMessage());
  }

  @Test
  void neitherStepsNorEpochsIsRejected() throws Exception {
    var e = rejected(MINIMAL.replace("{steps: 100}", "{global_batch: 8}"));
    assertTrue(e.getMessage().contains("'train'") && e.getMessage().contains("neither"),
        e.getMessage());
  }

  @Test
  void muonSettingWithAdamwIsRejected() throws Exception {
    var e = rejected(MINIMAL.replace("{steps: 100}",
        "{steps: 100, optimizer: {name: adamw, momentum: 0.9}}"));
    assertTrue(e.getMessage().contains("'train.optimizer'"), e.getMessage());
    assertTrue(e.getMessage().contains("'momentum' is a muon setting"), e.getMessage());
  }

  @Test
  void badOptimizerNameListsTheChoices() throws Exception {
    var e = rejected(MINIMAL.replace("{steps: 100}", "{steps: 100, optimizer: {name: sgd}}"));
    assertTrue(e.getMessage().contains("'train.optimizer.name'"), e.getMessage());
    assertTrue(e.getMessage().contains("adamw, muon"), e.getMessage());
  }

  @Test
  void negativeRetriesNameTheClusterKey() throws Exception {
    var e = rejected(MINIMAL + "cluster: {max_retries: -1}\n");
    assertTrue(e.getMessage().contains("'cluster'"), e.getMessage());
    assertTrue(e.getMessage().contains("max_retries must be at least 0"), e.getMessage());
  }

  @Test
  void missingModelSectionIsNamed() throws Exception {
    var e = rejected(MINIMAL.replace("model: {preset: sit-demo}\n", ""));
    assertTrue(e.getMessage().contains("missing key 'model'"), e.getMessage());
  }

  @Test
  void modelThatIsNeitherANameNorAMappingIsNamed() throws Exception {
    var e = rejected(MINIMAL.replace("model: {preset: sit-demo}", "model: [sit-demo]"));
    assertTrue(e.getMessage().contains("model: expected a preset name or a mapping"),
        e.getMessage());
    assertTrue(e.getMessage().contains("sit-demo"), e.getMessage());
  }

  @Test
  void bareModelPresetNameIsKept() throws Exception {
    RunConfig c = RunConfig.load(write(MINIMAL.replace("model: {preset: sit-demo}",
        "model: SiT-B/2")));
    assertEquals("SiT-B/2", c.model().asText());
  }

  @Test
  void missingManifestIsNamed() throws Exception {
    var e = rejected(MINIMAL.replace("{manifest: data/d/dataset.json}", "{flip: none}"));
    assertTrue(e.getMessage().contains("'data'"), e.getMessage());
    assertTrue(e.getMessage().contains("missing key 'manifest'"), e.getMessage());
  }

  @Test
  void globalBatchMustDivideByWorldSize() throws Exception {
    var e = rejected(MINIMAL.replace("{steps: 100}", "{steps: 100, global_batch: 10}")
        + "cluster: {world_size: 4}\n");
    assertTrue(e.getMessage().contains("train.global_batch (10)"), e.getMessage());
    assertTrue(e.getMessage().contains("cluster.world_size (4)"), e.getMessage());
  }

  @Test
  void accumulationKeepsTheGlobalBatchWhenTheWorldShrinks() throws Exception {
    RunConfig c = RunConfig.load(write(MINIMAL.replace("{steps: 100}",
        "{steps: 100, global_batch: 256, micro_batch: 32}") + "cluster: {world_size: 8}\n"));
    assertEquals(1, c.accumulationSteps(8));
    assertEquals(2, c.accumulationSteps(4));
    assertEquals(8, c.accumulationSteps(1));
    var e = assertThrows(InvalidInputException.class, () -> c.accumulationSteps(3));
    assertTrue(e.getMessage().contains("train.global_batch (256)"), e.getMessage());
  }

  @Test
  void epochsConvertToStepsWithTheDatasetSize() throws Exception {
    RunConfig c = RunConfig.load(write(MINIMAL.replace("{steps: 100}",
        "{epochs: 2, global_batch: 64}")));
    assertEquals(2 * (60_000 / 64), c.totalSteps(60_000));
  }

  @Test
  void latentEvaluationNeedsBothTorchScriptFiles() throws Exception {
    var e = rejected(MINIMAL + "eval: {vae_decoder: dec.pt}\n");
    assertTrue(e.getMessage().contains("inception"), e.getMessage());
    assertTrue(e.getMessage().contains("needs both vae_decoder and inception"), e.getMessage());
  }

  @Test
  void latentEvaluationNeedsAnNpzReference() throws Exception {
    var e =
        rejected(MINIMAL + "eval: {every_steps: 10, vae_decoder: dec.pt, inception: inc.pt,"
            + " reference: data/test/dataset.json}\n");
    assertTrue(e.getMessage().contains("reference: 'data/test/dataset.json'"), e.getMessage());
    assertTrue(e.getMessage().contains(".npz"), e.getMessage());
  }

  @Test
  void anUnknownUint8ConventionIsNamed() throws Exception {
    var e = rejected(MINIMAL + "eval: {uint8: nearest}\n");
    assertTrue(e.getMessage().contains("uint8: 'nearest'"), e.getMessage());
  }

  @Test
  void latentEvaluationKeysAreRead() throws Exception {
    RunConfig c =
        RunConfig.load(write(MINIMAL + "eval: {every_steps: 10, vae_decoder: d.pt,"
            + " inception: i.pt, reference: ref.npz, uint8: round}\n"));
    assertTrue(c.eval().latent());
    assertEquals("d.pt", c.eval().vaeDecoder());
    assertEquals("round", c.eval().uint8());
    assertFalse(RunConfig.load(write(MINIMAL)).eval().latent());
  }

  @Test
  void gpuSectionDefaultsToTf32AndTheCudnnBenchmark() throws Exception {
    RunConfig c = RunConfig.load(write(MINIMAL));
    assertEquals(new RunConfig.Gpu(true, true), c.gpu());
    assertEquals("{\"tf32\":true,\"cudnn_benchmark\":true}", c.toTree().get("gpu").toString());
    assertEquals(java.util.Map.of("TORCH_ALLOW_TF32_CUBLAS_OVERRIDE", "1"),
        c.gpu().executorEnvironment());
  }

  @Test
  void gpuSectionIsReadAndWrittenBack() throws Exception {
    RunConfig c =
        RunConfig.load(write(MINIMAL + "gpu: {tf32: false, cudnn_benchmark: false}\n"));
    assertEquals(new RunConfig.Gpu(false, false), c.gpu());
    assertEquals(c, RunConfig.fromTree(c.toTree(), "run.yaml"));
    assertEquals(
        java.util.Map.of("TORCH_ALLOW_TF32_CUBLAS_OVERRIDE", "0", "NVIDIA_TF32_OVERRIDE", "0"),
        c.gpu().executorEnvironment());
  }

  @Test
  void gpuSectionIsStrict() throws Exception {
    var unknown = rejected(MINIMAL + "gpu: {tf33: true}\n");
    assertTrue(unknown.getMessage().contains("unknown key 'gpu.tf33'"), unknown.getMessage());
    var type = rejected(MINIMAL + "gpu: {cudnn_benchmark: fast}\n");
    assertTrue(type.getMessage().contains("'gpu.cudnn_benchmark'"), type.getMessage());
  }

  @Test
  void theDriverGivesTheGpuSettingsToItsExecutors() throws Exception {
    RunConfig on = RunConfig.load(write(MINIMAL));
    assertEquals("1", TrainDriver.sparkBuilder(on, "local[1]").conf()
        .get("spark.executorEnv.TORCH_ALLOW_TF32_CUBLAS_OVERRIDE"));
    RunConfig off = RunConfig.load(write(MINIMAL + "gpu: {tf32: false}\n"));
    var conf = TrainDriver.sparkBuilder(off, "local[1]").conf();
    assertEquals("0", conf.get("spark.executorEnv.TORCH_ALLOW_TF32_CUBLAS_OVERRIDE"));
    assertEquals("0", conf.get("spark.executorEnv.NVIDIA_TF32_OVERRIDE"));
  }

  @Test
  void evalSamplingDefaultsKeepTheEarlierProtocol() throws Exception {
    var spec = RunConfig.load(write(MINIMAL)).eval().samplerSpec();
    assertEquals(ai.igspark.diffusion.Sampler.SDE_EM, spec.sampler());
    assertEquals(250, spec.steps());
    assertEquals(1.0, spec.timestepShift());
    assertEquals(new ai.igspark.eval.SamplerSpec.Interval(0f, 1f), spec.igInterval());
    assertEquals(new ai.igspark.eval.SamplerSpec.Interval(0f, 0.7f), spec.cfgInterval());
    assertTrue(spec.balanced());
  }

  @Test
  void evalReadsEverySamplerSetting() throws Exception {
    var spec =
        RunConfig.load(write(MINIMAL + "eval: {sampler: ode-heun2, sampling_steps: 124,"
                + " timestep_shift: 0.3, ig_scale: 1.4, ig_interval: [0.0, 1.0], cfg_scale: 2.0,"
                + " cfg_interval: [0.19, 1.0], balanced: false}\n"))
            .eval().samplerSpec();
    assertEquals(ai.igspark.diffusion.Sampler.ODE_HEUN2, spec.sampler());
    assertEquals(124, spec.steps());
    assertEquals(125, spec.gridPoints());
    assertEquals(0.3, spec.timestepShift());
    assertEquals(new ai.igspark.eval.SamplerSpec.Interval(0.19f, 1f), spec.cfgInterval());
    assertFalse(spec.balanced());
  }

  @Test
  void evalSamplerSdeIsSdeEm() throws Exception {
    assertEquals(ai.igspark.diffusion.Sampler.SDE_EM,
        RunConfig.load(write(MINIMAL + "eval: {sampler: sde}\n")).eval().samplerSpec().sampler());
  }

  @Test
  void evalAnUnknownSamplerIsNamed() throws Exception {
    var e = rejected(MINIMAL + "eval: {sampler: heun3}\n");
    assertTrue(e.getMessage().contains("sampler: unknown sampler 'heun3'"), e.getMessage());
  }

  @Test
  void evalAShiftOfZeroIsNamed() throws Exception {
    var e = rejected(MINIMAL + "eval: {sampler: ode-euler, timestep_shift: 0}\n");
    assertTrue(e.getMessage().contains("timestep_shift: 0.0"), e.getMessage());
  }

  @Test
  void evalAnIntervalOutsideZeroOneIsNamed() throws Exception {
    var e = rejected(MINIMAL + "eval: {ig_interval: [0.5, 1.5]}\n");
    assertTrue(e.getMessage().contains("ig_interval: '[0.5, 1.5]'"), e.getMessage());
  }

  @Test
  void evalAnIntervalWithLoAboveHiIsNamed() throws Exception {
    var e = rejected(MINIMAL + "eval: {cfg_interval: [0.7, 0.2]}\n");
    assertTrue(e.getMessage().contains("cfg_interval: '[0.7, 0.2]'"), e.getMessage());
  }

  @Test
  void evalZeroStepsAreNamed() throws Exception {
    var e = rejected(MINIMAL + "eval: {sampler: ode-euler, sampling_steps: 0}\n");
    assertTrue(e.getMessage().contains("sampling_steps: 0 steps (1 grid points)"), e.getMessage());
  }

  @Test
  void evalABadShiftNamesItsKeyUnderEval() throws Exception {
    Path p = write(MINIMAL + "eval: {sampler: ode-heun2, timestep_shift: -0.3}\n");
    var e = assertThrows(InvalidInputException.class, () -> RunConfig.load(p));
    assertTrue(e.getMessage().startsWith(p + ": key 'eval': timestep_shift: -0.3"),
        e.getMessage());
  }

  @Test
  void evalGridEveryStepsIsOffByDefaultAndANegativeValueIsNamed() throws Exception {
    assertEquals(0L, RunConfig.load(write(MINIMAL)).eval().gridEverySteps());
    var e = rejected(MINIMAL + "eval: {grid_every_steps: -5}\n");
    assertTrue(e.getMessage().contains("grid_every_steps must be at least 0 (0: off), got -5"),
        e.getMessage());
  }
}
