package ai.igspark.cli;

import java.nio.file.Path;
import picocli.CommandLine.Option;

/** {@code --checkpoint FILE | --run DIR}: where {@code export} and {@code sample} read weights. */
final class WeightsSource {
  @Option(names = "--run", paramLabel = "DIR",
      description = "Run directory (a local path or Hadoop URI): the EMA weights of its committed"
          + " checkpoint, LATEST's unless --step; verified against the checkpoint's manifest.")
  String run;

  @Option(names = "--checkpoint", paramLabel = "FILE",
      description = "Weights file (.pt or .safetensors); one inside a committed checkpoint is"
          + " verified against that checkpoint's manifest.")
  Path checkpoint;

  /** The weights as a local file, verified when they belong to a committed checkpoint. */
  Path resolve(Long step) {
    return CheckpointInput.weights(checkpoint, run, step);
  }
}
