package ai.igspark.cli;

import ai.igspark.ckpt.DatasetIdentity;
import ai.igspark.ckpt.RunLockLostException;
import ai.igspark.ckpt.RunStart;
import ai.igspark.config.RunConfig;
import ai.igspark.config.RunConfigDiff;
import ai.igspark.data.InvalidInputException;
import ai.igspark.data.config.TypedConfig;
import ai.igspark.model.ModelConfig;
import ai.igspark.train.TrainDriver;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import org.apache.spark.api.java.JavaSparkContext;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code igspark train}: data-parallel IG training as a Spark application. */
@Command(
    name = "train",
    mixinStandardHelpOptions = true,
    description = {
      "Train an IG diffusion transformer as a Spark application.",
      "Runs in local[1] by default; use bin/igspark-submit for a cluster. Starting the same command again resumes from the",
      "run directory's last committed checkpoint. One driver per run directory: a second is refused, naming the first."
    })
final class TrainCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = "--config", required = true, description = "Run configuration (YAML).")
  Path config;

  @Option(
      names = "--resume",
      description = "Require an existing checkpoint to resume from (fail if there is none).")
  boolean resume;

  @Option(
      names = "--restart",
      description = {
        "Train from step 0 in a run directory that already holds a run: its files (run.yaml, metrics, checkpoints,",
        "eval output) are first moved to restarted-<UTC time>/ in it, never deleted. Needed where a resume would",
        "silently restart or mix: checkpoints without run.yaml, or metrics of checkpoints that are gone."
      })
  boolean restart;

  @Option(
      names = "--allow-change",
      split = ",",
      paramLabel = "KEY",
      description = "Config keys (or sections) allowed to differ from the run's run.yaml; data.identity: the"
          + " dataset's manifest content and count, recorded when the run was created.")
  List<String> allowChange = List.of();

  @Option(
      names = "--master",
      description = "Spark master (default: spark-submit's, else local[1]).")
  String master;

  @Override
  public Integer call() throws Exception {
    if (resume && restart) {
      throw new InvalidInputException("--resume and --restart contradict each other: --resume"
          + " continues from the last checkpoint, --restart starts again from step 0");
    }
    RunConfig cfg = RunConfig.load(config);
    Set<String> allowed = RunConfigDiff.parseAllowed(String.join(",", allowChange));
    ModelConfig model = ModelConfig.fromTree(cfg.model(), config + ": model");
    RunConfigDiff.requireKnown(allowed, cfg.toTree(),
        TypedConfig.mapper().createObjectNode().set("model", TypedConfig.mapper().valueToTree(model)),
        DatasetIdentity.keysTree());
    TrainDriver driver = new TrainDriver(cfg, config.toString(), allowed,
        CommandOutput.stream(spec.commandLine().getOut()));
    try (JavaSparkContext sc = TrainDriver.startSpark(cfg, master)) {
      TrainDriver.Outcome outcome = driver.run(sc,
          resume ? RunStart.RESUME : restart ? RunStart.RESTART : RunStart.NEW_OR_RESUME);
      if (outcome.preempted()) {
        return Igspark.EXIT_PREEMPTED;
      }
      return outcome.step() >= outcome.totalSteps() ? 0 : 1;
    } catch (RunLockLostException e) {
      // Another driver took the run over: nothing to fix here, and no stack trace to read.
      throw new InvalidInputException(e.getMessage(), e);
    }
  }
}
