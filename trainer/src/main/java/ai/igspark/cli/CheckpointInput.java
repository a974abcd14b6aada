package ai.igspark.cli;

import ai.igspark.ckpt.Checkpoint;
import ai.igspark.ckpt.CheckpointIntegrityException;
import ai.igspark.ckpt.CheckpointReader;
import ai.igspark.ckpt.ResumeFiles;
import ai.igspark.data.InvalidInputException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Optional;
import java.util.OptionalLong;
import org.apache.hadoop.conf.Configuration;

/**
 * The weights a command reads: {@code --checkpoint FILE} or {@code --run DIR [--step N]} (the EMA
 * weights of a committed checkpoint, LATEST's by default). Whatever belongs to a committed
 * checkpoint is verified against its manifest through {@link Checkpoint#read} before the command
 * uses it; a damaged checkpoint is an {@link InvalidInputException} naming the file and the check.
 */
final class CheckpointInput {
  private CheckpointInput() {}

  /** A local file holding the weights, verified when it belongs to a committed checkpoint. */
  static Path weights(Path file, String run, Long step) {
    if ((file == null) == (run == null)) {
      throw new InvalidInputException(
          "give exactly one of --checkpoint FILE and --run DIR (with --step N to pick a"
              + " checkpoint other than LATEST)");
    }
    if (step != null && run == null) {
      throw new InvalidInputException("--step picks a checkpoint of --run DIR; give --run too");
    }
    Configuration conf = new Configuration();
    try {
      if (run != null) {
        Checkpoint c = CheckpointReader.ofRun(
            run, step == null ? OptionalLong.empty() : OptionalLong.of(step), conf);
        return c.verifiedLocalFile(ResumeFiles.EMA);
      }
      Optional<Checkpoint> c = CheckpointReader.containing(
          new org.apache.hadoop.fs.Path(file.toAbsolutePath().normalize().toUri()), conf);
      return c.isPresent() ? c.get().verifiedLocalFile(file.getFileName().toString()) : file;
    } catch (CheckpointIntegrityException e) {
      throw new InvalidInputException(
          e.getMessage() + ". The checkpoint is damaged and is not read; `igspark train` moves it"
              + " aside when the run resumes. Read another one with --run DIR --step N.", e);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
