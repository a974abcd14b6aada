package ai.igspark.cli;

import ai.igspark.ckpt.RunDirectory;
import ai.igspark.data.format.HostTensor;
import ai.igspark.data.ingest.FashionMnistIngest;
import ai.igspark.diffusion.Guidance;
import ai.igspark.diffusion.LabelPlan;
import ai.igspark.diffusion.Sampler;
import ai.igspark.diffusion.SamplingPlan;
import ai.igspark.eval.CheckpointSampler;
import ai.igspark.eval.SampleGrid;
import ai.igspark.model.ModelCheckpoints;
import ai.igspark.train.RunConfig;
import ai.igspark.train.TrainDriver;
import ai.igspark.train.TrainingState;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.api.java.JavaSparkContext;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

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
      "Prepares the data if missing, trains a tiny SiT with Internal Guidance in Spark local mode (about 10 minutes on 2 CPU cores), then sample it without guidance,",
      "with IG, with CFG and with both. Running it again resumes or reuses the trained run."
    })
final class DemoCommand implements Callable<Integer> {

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

  @Option(names = "--sampling-steps", defaultValue = "50", description = "SDE sampler steps.")
  int samplingSteps;

  /** One guidance setting of the demo. */
  record Setting(String name, String label, Guidance guidance) {}

  @Override
  public Integer call() throws Exception {
    PrintStream out = System.out;
    RunConfig cfg = RunConfig.load(config);
    Path dataDir = Path.of(cfg.data().manifest()).getParent().getParent();
    try (ProgressDisplay progress = ProgressDisplay.onStderr()) {
      new FashionMnistIngest(null, dataDir.toString(), false, new Configuration(), progress).run();
    }

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
    int n = classes * perClass;
    // Class-major so that each grid row is one class.
    long[] labels = new long[n];
    for (int i = 0; i < n; i++) {
      labels[i] = i / perClass;
    }
    List<Setting> settings =
        List.of(
            new Setting("none", "no guidance", Guidance.none()),
            new Setting("ig", "IG w=" + igScale, Guidance.ig(igScale, 0f, 1f)),
            new Setting("cfg", "CFG w=" + cfgScale, Guidance.none().withCfg(cfgScale, 0f, 1f)),
            new Setting(
                "ig-cfg", "IG+CFG", Guidance.ig(igScale, 0f, 1f).withCfg(cfgScale, 0f, 1f)));
    out.printf("igspark demo: sampling %d images per setting (SDE, %d steps)%n", n, samplingSteps);
    try (CheckpointSampler sampler =
        new CheckpointSampler(driver.modelConfig(), weights, ema.toString())) {
      int size = driver.modelConfig().inputSize();
      for (Setting s : settings) {
        long start = System.nanoTime();
        float[] images =
            sampler.sample(
                new SamplingPlan(Sampler.SDE_EM, samplingSteps, 1.0, s.guidance()),
                cfg.run().seed(),
                0,
                labels,
                null,
                100,
                null);
        Path png = demoDir.resolve("grid-" + s.name() + ".png");
        SampleGrid.writePng(
            SampleGrid.grid(images, n, driver.modelConfig().inChannels(), size, size, perClass),
            png);
        out.printf(
            "  %-12s %s (%.1f s)%n", s.label(), png, (System.nanoTime() - start) / 1e9);
      }
    }
    out.printf(
        "igspark demo: trained %d steps in %.0f s; run directory %s (metrics.jsonl, checkpoints/,"
            + " demo/)%n",
        outcome.step(), trainSeconds, runDir.toAbsolutePath());
    return 0;
  }
}
