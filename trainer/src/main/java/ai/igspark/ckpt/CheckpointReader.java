package ai.igspark.ckpt;

import java.io.IOException;
import java.io.InputStream;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.regex.Pattern;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Read-only ways in to committed checkpoints for everything that is not the training driver:
 * export, sample, evaluate, the ranks that resume and the executors that evaluate. Each ends in
 * {@link Checkpoint#read}, so every read of a checkpoint file is verified against its manifest;
 * nothing here writes to the run directory.
 */
public final class CheckpointReader {
  /** {@code step-00000030}, and the names of its attempt and broken copies. */
  private static final Pattern CHECKPOINT_DIR = Pattern.compile("step-\\d{8,}(\\..+)?");

  private CheckpointReader() {}

  /**
   * Checkpoint {@code step} of the run at {@code location} (a Hadoop URI or a local path), or the
   * one LATEST names when {@code step} is empty; its manifest, files, sizes and state checked (the
   * SHA-256 of a file is checked when it is read).
   *
   * @throws ai.igspark.data.InvalidInputException no such run, checkpoint or LATEST
   * @throws CheckpointIntegrityException the checkpoint is broken
   */
  public static Checkpoint ofRun(String location, OptionalLong step, Configuration conf)
      throws IOException {
    RunDirectory run = RunDirectory.existing(location, conf);
    Path dir = new Path(run.root(), RunDirectory.CHECKPOINTS);
    if (!run.fs().exists(dir)) {
      throw new ai.igspark.data.InvalidInputException(
          run.root() + ": no committed checkpoint (no " + RunDirectory.CHECKPOINTS
              + "/ directory)");
    }
    CheckpointStore store = run.checkpoints(CommitPolicy.defaults().withVerification(true, false));
    long chosen;
    if (step.isPresent()) {
      chosen = step.getAsLong();
    } else {
      OptionalLong named = store.readLatest();
      if (named.isEmpty()) {
        throw new ai.igspark.data.InvalidInputException(
            run.root() + ": no committed checkpoint (no readable " + CheckpointStore.LATEST + ")");
      }
      chosen = named.getAsLong();
    }
    if (!run.fs().exists(store.stepDir(chosen))) {
      throw new ai.igspark.data.InvalidInputException(
          run.root() + ": no checkpoint " + CheckpointStore.stepName(chosen) + " (committed steps: "
              + store.committedSteps() + ")");
    }
    return store.open(chosen);
  }

  /**
   * The checkpoint whose directory holds {@code file}, checked as {@link #ofRun} checks it, or
   * empty when {@code file} is not in a checkpoint directory.
   *
   * @throws CheckpointIntegrityException the directory looks like a checkpoint but is broken, has
   *     no manifest, or its manifest does not list {@code file}
   */
  public static Optional<Checkpoint> containing(Path file, Configuration conf) throws IOException {
    FileSystem fs = file.getFileSystem(conf);
    Path qualified = fs.makeQualified(file);
    Path dir = qualified.getParent();
    if (dir == null) {
      return Optional.empty();
    }
    if (fs.exists(new Path(dir, CheckpointStore.MANIFEST))) {
      Checkpoint c = CheckpointChecks.inspect(fs, dir, -1, false);
      if (c.manifest().file(qualified.getName()).isEmpty()) {
        throw new CheckpointIntegrityException(
            qualified + " lies in the checkpoint " + dir + ", whose MANIFEST does not list it");
      }
      return Optional.of(c);
    }
    refuseUncommitted(qualified, dir);
    return Optional.empty();
  }

  /**
   * Opens {@code uri} for reading: through {@link Checkpoint#read} when it lies in a checkpoint
   * directory (verified against that manifest while it streams), else as a plain file. Used on
   * executors, after the driver checked the checkpoint's structure.
   */
  public static InputStream open(String uri, Configuration conf) throws IOException {
    Path p = new Path(uri);
    FileSystem fs = p.getFileSystem(conf);
    Path qualified = fs.makeQualified(p);
    Path dir = qualified.getParent();
    if (dir != null && fs.exists(new Path(dir, CheckpointStore.MANIFEST))) {
      return new Checkpoint(fs, dir, CheckpointChecks.readManifest(fs, dir))
          .read(qualified.getName());
    }
    if (dir != null) {
      refuseUncommitted(qualified, dir);
    }
    return fs.open(qualified);
  }

  private static void refuseUncommitted(Path file, Path dir) throws CheckpointIntegrityException {
    if (CHECKPOINT_DIR.matcher(dir.getName()).matches()) {
      throw new CheckpointIntegrityException(
          file + " lies in " + dir + ", a checkpoint directory without "
              + CheckpointStore.MANIFEST + " (never committed, or damaged): nothing in it can be"
              + " verified, so it is not read");
    }
  }
}
