package ai.igspark.cli;

import ai.igspark.data.InvalidInputException;
import ai.igspark.model.ModelCheckpoints;
import ai.igspark.model.ModelConfig;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * {@code --checkpoint FILE | --run DIR [--step N]} and {@code --model | --model-config}, shared by
 * the commands that read weights ({@code export}, {@code sample}, {@code evaluate --checkpoint}).
 * Whatever belongs to a committed checkpoint is verified against its manifest ({@link
 * CheckpointInput}).
 */
final class CheckpointOptions {
  @Option(names = "--checkpoint", paramLabel = "FILE",
      description = "Weights file (.pt or .safetensors); one inside a committed checkpoint is"
          + " verified against that checkpoint's manifest.")
  Path file;

  @Option(names = "--run", paramLabel = "DIR",
      description = "Instead of --checkpoint: a run directory (a local path or Hadoop URI), the EMA"
          + " weights of its committed checkpoint, LATEST's unless --step; verified against the"
          + " checkpoint's manifest.")
  String run;

  @Option(names = "--step", paramLabel = "N",
      description = "Checkpoint step of --run (default: LATEST).")
  Long step;

  @Option(names = "--model", paramLabel = "PRESET",
      description = "Model preset (see igspark model-info), when the weights do not name it.")
  String preset;

  @Option(names = "--model-config", paramLabel = "FILE",
      description = "Model config file (YAML or JSON), ditto.")
  Path modelConfigFile;

  /** Whether weights were named at all (evaluate samples a checkpoint only then). */
  boolean given() {
    return file != null || run != null;
  }

  /** The weights as a local file, verified when they belong to a committed checkpoint. */
  Path weights() {
    return CheckpointInput.weights(file, run, step);
  }

  /** The model of {@code weights}: the preset or config file given, else the embedded one. */
  ModelConfig modelConfig(Path weights) {
    if (preset != null && modelConfigFile != null) {
      throw new InvalidInputException("--model and --model-config exclude each other");
    }
    return ModelCheckpoints.configFor(weights, preset, modelConfigFile);
  }
}
