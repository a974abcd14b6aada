package ai.igspark.cli;

import ai.igspark.ckpt.MetricsLog;
import ai.igspark.ckpt.RunDirectory;
import ai.igspark.config.RunConfig;
import ai.igspark.data.ingest.FashionMnistIngest;
import ai.igspark.diffusion.Guidance;
import ai.igspark.diffusion.LabelPlan;
import ai.igspark.diffusion.Sampler;
import ai.igspark.eval.CheckpointSampler;
import ai.igspark.eval.SamplerSpec;
import ai.igspark.eval.FrechetDistance;
import ai.igspark.eval.Gaussian;
import ai.igspark.eval.SampleGrid;
import ai.igspark.eval.fmnist.FmnistFeatures;
import ai.igspark.eval.fmnist.FmnistImages;
import ai.igspark.eval.job.CheckpointEvaluation;
import ai.igspark.metrics.EvalRecord;
import ai.igspark.metrics.MetricsJson;
import ai.igspark.model.ModelCheckpoints;
import ai.igspark.tensorfile.HostTensor;
import ai.igspark.train.TrainDriver;
import ai.igspark.train.TrainingState;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.api.java.JavaSparkContext;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code igspark demo}: the newcomer's first command. Prepares Fashion-MNIST when missing, trains
 * a tiny SiT with IG in Spark local mode, and samples the final EMA weights without guidance,
 * with IG, with CFG and with both, side by side on the same noise and labels.
 */
@Command(
    name = "demo",
    mixinStandardHelpOptions = true,
    description = {
      "Fashion-MNIST demo: train a tiny SiT with IG and sample it.",
      "Prepares the data if missing, trains a tiny SiT with Internal Guidance in Spark local",
      "mode (about 10 minutes on 2 idle CPU cores), then samples it without guidance, with IG,",
      "with CFG and with both. Running it again resumes or reuses the trained run."
    })
final class DemoCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(
      names = "--config",
      defaultValue = "configs/demo-fmnist.yaml",
      description = "Run config (default ${DEFAULT-VALUE}).")
  Path config;

  @Option(names = "--ig-scale", defaultValue = "1.5", description = "IG scale of the IG grids.")
  float igScale;

  @Option(names = "--cfg-scale", defaultValue = "2.0", description = "CFG scale of the CFG grids.")
  float cfgScale;

  @Option(names = "--per-class", defaultValue = "8", description = "Samples per class in a grid.")
  int perClass;

  @Option(
      names = "--samples",
      defaultValue = "400",
      description = "Samples per setting for FD-FMNIST (balanced over classes).")
  int samples;

  @Option(
      names = "--sampler",
      defaultValue = "sde-em",
      description = "Sampler of the final samples (default: ${DEFAULT-VALUE}; or ode-heun, ...).")
  String samplerName;

  @Option(names = "--sampling-steps", defaultValue = "30", description = "Sampler steps.")
  int samplingSteps;

  /** One guidance setting of the demo. */
  record Setting(String name, String label, Guidance guidance) {}

  @Override
  public Integer call() throws Exception {
    // The training driver prints to a stream; this one writes into the command's writer.
    PrintStream out = CommandOutput.stream(spec.commandLine().getOut());
    long start = System.nanoTime();
    Sampler samplerKind = Sampler.parse("--sampler", samplerName);
    RunConfig cfg = RunConfig.load(config);
    Path dataDir = Path.of(cfg.data().manifest()).getParent().getParent();
    try (ProgressDisplay progress = ProgressDisplay.onStderr(spec)) {
      new FashionMnistIngest(null, dataDir.toString(), false, new Configuration(), progress).run();
    }
    double prepareSeconds = (System.nanoTime() - start) / 1e9;

    long t0 = System.nanoTime();
    TrainDriver driver = new TrainDriver(cfg, config.toString(), Set.of(), out);
    TrainDriver.Outcome outcome;
    try (JavaSparkContext sc = TrainDriver.startSpark(cfg, null)) {
      outcome = driver.run(sc, false);
    }
    double trainSeconds = (System.nanoTime() - t0) / 1e9;

    Path runDir = Path.of(cfg.run().dir());
    Path ema =
        runDir.resolve("checkpoints").resolve(String.format("step-%08d", outcome.step()))
            .resolve(TrainingState.EMA_FILE);
    Map<String, HostTensor> weights = ModelCheckpoints.load(ema);
    Path demoDir = Files.createDirectories(runDir.resolve("demo"));
    int classes = driver.modelConfig().numClasses();
    int n = Math.max(samples, classes * perClass);
    long[] labels = LabelPlan.balanced(classes, n).labels(0, n); // sample i has class i mod K
    List<Setting> settings =
        List.of(
            new Setting("none", "no guidance", Guidance.none()),
            new Setting("ig", "IG w=" + igScale, Guidance.ig(igScale, 0f, 1f)),
            new Setting("cfg", "CFG w=" + cfgScale, Guidance.none().withCfg(cfgScale, 0f, 1f)),
            new Setting(
                "ig-cfg", "IG+CFG", Guidance.ig(igScale, 0f, 1f).withCfg(cfgScale, 0f, 1f)));

    // FD-FMNIST: Fréchet distance in the frozen Fashion-MNIST classifier's feature space against
    // the test split (docs/METRICS.md §7: a demo metric, never called FID).
    String testSplit = dataDir.resolve("fashion-mnist-test").toString();
    List<EvalRecord> records = new ArrayList<>();
    try (FmnistFeatures features = FmnistFeatures.ofDefault()) {
    FmnistImages test = FmnistImages.load(testSplit, new Configuration());
    Gaussian reference = features.summarize(test.pixels(), test.count()).features().gaussian();
    FrechetDistance fd = FrechetDistance.against(reference);

    out.printf(
        "igspark demo: %d samples per setting (%s, %d steps), FD-FMNIST against the %d test"
            + " images%n",
        n, samplerKind.configName(), samplingSteps, test.count());
    out.printf("  %-12s %12s %17s  %s%n", "setting", "FD-FMNIST", "classifier score", "grid");
    // Balanced labels, guidance on all t: each setting differs only in its scales.
    SamplerSpec base =
        new SamplerSpec(samplerKind, samplingSteps, 1.0, 1f, SamplerSpec.Interval.ALL, 1f,
            SamplerSpec.Interval.ALL, SamplerSpec.LabelMode.BALANCED);
    try (CheckpointSampler sampler =
        new CheckpointSampler(driver.modelConfig(), weights, ema.toString())) {
      int size = driver.modelConfig().inputSize();
      int channels = driver.modelConfig().inChannels();
      int per = channels * size * size;
      for (Setting s : settings) {
        SamplerSpec setting = base.withGuidance(s.guidance());
        float[] images =
            sampler.sample(
                setting.plan(),
                cfg.run().seed(),
                0,
                labels,
                null,
                100,
                null);
        FmnistFeatures.Summary summary = features.summarize(images, n);
        double distance = fd.to(summary.features().gaussian()).value();
        double score = summary.classifierScore().mean();
        float[] rows = SampleGrid.classPerRow(images, classes, perClass, per);
        Path png = demoDir.resolve("grid-" + s.name() + ".png");
        SampleGrid.writePng(
            SampleGrid.grid(rows, classes * perClass, channels, size, size, perClass), png);
        out.printf("  %-12s %12.4f %17.3f  %s%n", s.label(), distance, score, png);
        records.add(
            CheckpointEvaluation.record(
                outcome.step(), setting, distance, score, n, features.sha256(),
                runDir.relativize(png).toString()));
      }
    }
    }
    try (MetricsLog log = RunDirectory.open(runDir.toString(), new Configuration()).openMetrics()) {
      for (EvalRecord r : records) {
        log.append(r);
      }
    }
    Files.write(demoDir.resolve("metrics.json"), MetricsJson.prettyList(records));
    double totalSeconds = (System.nanoTime() - start) / 1e9;
    Path abs = runDir.toAbsolutePath();
    out.printf(
        "igspark demo: done in %s (data %s, training %s for %d steps, sampling and FD-FMNIST"
            + " %s)%n",
        minutes(totalSeconds), minutes(prepareSeconds), minutes(trainSeconds), outcome.step(),
        minutes(totalSeconds - trainSeconds - prepareSeconds));
    out.printf("  run directory  %s%n", abs);
    out.printf("  sample grids   %s%n", abs.resolve("demo/grid-{none,ig,cfg,ig-cfg}.png"));
    out.printf("  demo metrics   %s%n", abs.resolve("demo/metrics.json"));
    out.printf(
        "  training log   %s (losses, throughput, evaluations; eval/step-N/ has their grids)%n",
        abs.resolve("metrics.jsonl"));
    out.printf("  checkpoints    %s%n", abs.resolve("checkpoints"));
    out.printf(
        "  notebooks      IGSPARK_RUN_DIR=%s jupyter notebook notebooks/ (docs/notebooks.md)%n",
        runDir);
    return 0;
  }

  /** "9 min 42 s" / "12 s". */
  static String minutes(double seconds) {
    long s = Math.round(seconds);
    return s < 60 ? s + " s" : String.format("%d min %02d s", s / 60, s % 60);
  }
}
