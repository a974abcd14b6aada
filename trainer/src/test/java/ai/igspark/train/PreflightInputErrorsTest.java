package ai.igspark.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.igspark.config.RunConfig;
import ai.igspark.data.InvalidInputException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Input errors that used to surface on the ranks or at the first evaluation, hours in, found
 * before step 0 (docs/RELIABILITY.md): a model change the checkpoint's weights cannot follow,
 * evaluation settings that cannot work.
 */
class PreflightInputErrorsTest {
  @RegisterExtension static final LocalTraining training = new LocalTraining();

  @TempDir Path dir;

  private static TrainDriver.Outcome train(Path config, Set<String> allowed) throws Exception {
    return training.train(config, allowed);
  }

  @Test
  void aWiderModelThanTheCheckpointIsRefusedNamingTheParameter() throws Exception {
    Path run = dir.resolve("run");
    Path config = TinyRun.config(dir, "widen", run.toString(), training.manifest(), 4, 2, 1);
    assertEquals(4, train(config, Set.of()).step());
    Path wider = dir.resolve("wider.yaml");
    Files.writeString(wider, Files.readString(config).replace("hidden_size: 32", "hidden_size: 48")
        .replace("  steps: 4\n", "  steps: 6\n"));
    var e = assertThrows(InvalidInputException.class,
        () -> train(wider, Set.of("model.hidden_size", "train.steps")));
    assertTrue(e.getMessage().contains("does not fit the model")
        && e.getMessage().contains("parameter 'x_embedder.proj.weight' is [32, 1, 2, 2] in the"
            + " checkpoint and [48, 1, 2, 2] in the model"), e.getMessage());
    assertEquals(0, Files.list(run.resolve("checkpoints"))
        .filter(p -> p.getFileName().toString().contains("attempt")).count(), "no segment ran");
  }

  @Test
  void theSameModelResumes() throws Exception {
    Path run = dir.resolve("run");
    Path config = TinyRun.config(dir, "same", run.toString(), training.manifest(), 2, 2, 1);
    train(config, Set.of());
    Path longer = dir.resolve("longer.yaml");
    Files.writeString(longer, Files.readString(config).replace("  steps: 2\n", "  steps: 4\n"));
    assertEquals(4, train(longer, Set.of("train.steps")).step());
  }

  private Path withEval(String name, String eval) throws Exception {
    Path config = TinyRun.config(dir, name, dir.resolve(name).toString(), training.manifest(), 4, 2, 1);
    Files.writeString(config, Files.readString(config) + "eval: " + eval + "\n");
    return config;
  }

  @Test
  void anEvaluationSampleCountThatCannotBeBalancedIsRefusedBeforeStepZero() throws Exception {
    Path config = withEval("unbalanced",
        "{every_steps: 2, num_samples: 10, reference: \"" + training.manifest() + "\"}");
    var e = assertThrows(InvalidInputException.class, () -> train(config, Set.of()));
    assertTrue(e.getMessage().contains("eval.num_samples 10 is not a multiple of the dataset's 4"
        + " classes"), e.getMessage());
    assertTrue(Files.notExists(dir.resolve("unbalanced/checkpoints/LATEST")));
  }

  @Test
  void anEvaluationReferenceThatDoesNotExistIsRefusedBeforeStepZero() throws Exception {
    Path config = withEval("noref",
        "{every_steps: 2, num_samples: 8, reference: \"" + dir.resolve("absent") + "\"}");
    var e = assertThrows(InvalidInputException.class, () -> train(config, Set.of()));
    assertTrue(e.getMessage().contains("eval.reference '" + dir.resolve("absent")
        + "' does not exist"), e.getMessage());
  }

  @Test
  void twoRanksInSparkLocalModeAreRefusedBeforeStepZero() throws Exception {
    Path config = TinyRun.config(dir, "local2", dir.resolve("local2").toString(), training.manifest(), 4, 2,
        2);
    RunConfig cfg = RunConfig.load(config);
    Preflight preflight = new Preflight(cfg, config.toString(),
        ai.igspark.model.ModelConfig.fromTree(cfg.model(), "model"), Set.of());
    var e = assertThrows(InvalidInputException.class, () -> preflight.checkLocalWorld(true, 2));
    assertTrue(e.getMessage().contains("cluster.world_size 2 in Spark local mode"),
        e.getMessage());
    preflight.checkLocalWorld(true, 1); // too few slots: the slot check reports it (row 7b)
    preflight.checkLocalWorld(false, 2); // a cluster: one executor JVM per rank
  }
}
