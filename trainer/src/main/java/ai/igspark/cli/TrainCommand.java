package ai.igspark.cli;

import ai.igspark.config.RunConfigDiff;
import ai.igspark.data.config.TypedConfig;
import ai.igspark.model.ModelConfig;
import java.util.Set;
import ai.igspark.config.RunConfig;
import ai.igspark.train.TrainDriver;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.apache.spark.api.java.JavaSparkContext;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code igspark train}: data-parallel IG training as a Spark application. */
@Command(
    name = "train",
    mixinStandardHelpOptions = true,
    description = {
      "Train an IG diffusion transformer as a Spark application.",
      "Runs in local[1] by default; use bin/igspark-submit for a cluster. Starting the same command again resumes from the",
      "run directory's last committed checkpoint."
    })
final class TrainCommand implements Callable<Integer> {

  @Option(names = "--config", required = true, description = "Run configuration (YAML).")
  Path config;

  @Option(
      names = "--resume",
      description = "Require an existing checkpoint to resume from (fail if there is none).")
  boolean resume;

  @Option(
      names = "--allow-change",
      split = ",",
      paramLabel = "KEY",
      description = "Config keys (or sections) allowed to differ from the run's run.yaml.")
  List<String> allowChange = List.of();

  @Option(
      names = "--master",
      description = "Spark master (default: spark-submit's, else local[1]).")
  String master;

  @Override
  public Integer call() throws Exception {
    RunConfig cfg = RunConfig.load(config);
    Set<String> allowed = RunConfigDiff.parseAllowed(String.join(",", allowChange));
    ModelConfig model = ModelConfig.fromTree(cfg.model(), config + ": model");
    RunConfigDiff.requireKnown(allowed, cfg.toTree(),
        TypedConfig.mapper().createObjectNode().set("model", TypedConfig.mapper().valueToTree(model)));
    TrainDriver driver = new TrainDriver(cfg, config.toString(), allowed, System.out);
    try (JavaSparkContext sc = TrainDriver.startSpark(cfg, master)) {
      TrainDriver.Outcome outcome = driver.run(sc, resume);
      if (outcome.preempted()) {
        return Igspark.EXIT_PREEMPTED;
      }
      return outcome.step() >= outcome.totalSteps() ? 0 : 1;
    }
  }
}
