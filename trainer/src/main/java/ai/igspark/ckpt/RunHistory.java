package ai.igspark.ckpt;

import ai.igspark.data.InvalidInputException;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * What a run directory already holds, read before the driver writes anything there, so that
 * nothing is restarted or mixed without a word (docs/checkpoints.md "Resume guard"): checkpoints
 * without the run.yaml they were trained with, or a training history (metrics of committed
 * checkpoints) whose checkpoints are gone, are refused unless {@code --restart} says to start
 * again, and {@code --restart} keeps the old files in {@code restarted-<UTC time>/}.
 */
final class RunHistory {
  /** Where {@code --restart} moves a run's earlier files. */
  static final String RESTARTED_PREFIX = "restarted-";
  private static final System.Logger LOG = System.getLogger(RunHistory.class.getName());
  private static final Pattern STEP_DIR = Pattern.compile("step-\\d{8,}");
  private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss");

  private final RunDirectory run;
  private final boolean hasRunYaml;
  private final List<String> checkpoints;
  private final long lastCommitInMetrics;

  private RunHistory(
      RunDirectory run, boolean hasRunYaml, List<String> checkpoints, long lastCommitInMetrics) {
    this.run = run;
    this.hasRunYaml = hasRunYaml;
    this.checkpoints = checkpoints;
    this.lastCommitInMetrics = lastCommitInMetrics;
  }

  /** Reads what {@code run} holds; writes nothing. */
  static RunHistory of(RunDirectory run) throws IOException {
    FileSystem fs = run.fs();
    List<String> steps = new ArrayList<>();
    try {
      for (FileStatus s : fs.listStatus(new Path(run.root(), RunDirectory.CHECKPOINTS))) {
        if (s.isDirectory() && STEP_DIR.matcher(s.getPath().getName()).matches()) {
          steps.add(s.getPath().getName());
        }
      }
    } catch (FileNotFoundException e) {
      // no checkpoints/ directory
    }
    steps.sort(null);
    long lastCommit = -1;
    for (JsonNode r : run.readMetrics()) {
      if ("segment".equals(r.path("kind").asText())) {
        lastCommit = Math.max(lastCommit, r.path("step").asLong(-1));
      }
    }
    return new RunHistory(run, fs.exists(run.runYaml()), List.copyOf(steps), lastCommit);
  }

  /** Refuses a start that would silently restart or mix runs, or a --resume of nothing. */
  void requireResumable(RunStart start) {
    String restart = " or pass --restart to train again from step 0 (the run's present files are"
        + " moved to " + run.root() + "/" + RESTARTED_PREFIX + "<UTC time>/, never deleted).";
    if (!checkpoints.isEmpty() && !hasRunYaml) {
      throw new InvalidInputException(
          run.root() + " has checkpoints (newest " + checkpoints.get(checkpoints.size() - 1)
              + ") but no " + RunDirectory.RUN_YAML + ": the configuration they were trained with"
              + " is unknown, so a resume would take this config's values without a word. Restore"
              + " " + run.runYaml() + " (earlier versions are kept in config-history/, if any),"
              + restart);
    }
    if (checkpoints.isEmpty() && lastCommitInMetrics >= 0) {
      throw new InvalidInputException(
          run.root() + " has a training history (its metrics record checkpoints committed up to"
              + " step " + lastCommitInMetrics + ") but no checkpoint: a resume would train from"
              + " step 0 and append a second trajectory to the same metrics. Restore "
              + run.root() + "/" + RunDirectory.CHECKPOINTS + "/," + restart);
    }
    if (start == RunStart.RESUME && checkpoints.isEmpty()) {
      throw new InvalidInputException(
          "--resume: " + run.root() + " has no committed checkpoint to resume from (nothing was"
              + " written)");
    }
  }

  /**
   * {@code --restart}: moves every entry of the run directory except the lock and earlier
   * restarts into {@code restarted-<UTC time>/}. Returns that directory, or empty when there was
   * nothing to move.
   */
  Optional<Path> moveAside() throws IOException {
    FileSystem fs = run.fs();
    List<Path> entries = new ArrayList<>();
    for (FileStatus s : fs.listStatus(run.root())) {
      String name = s.getPath().getName();
      if (!name.equals(RunLock.DIR) && !name.startsWith(RESTARTED_PREFIX)) {
        entries.add(s.getPath());
      }
    }
    if (entries.isEmpty()) {
      return Optional.empty();
    }
    String base = RESTARTED_PREFIX + STAMP.format(ZonedDateTime.now(ZoneOffset.UTC));
    Path to = new Path(run.root(), base);
    for (int n = 2; fs.exists(to); n++) {
      to = new Path(run.root(), base + "-" + n);
    }
    if (!fs.mkdirs(to)) {
      throw new IOException("cannot create " + to);
    }
    for (Path p : entries) {
      if (!fs.rename(p, new Path(to, p.getName()))) {
        throw new IOException("--restart: cannot move " + p + " into " + to
            + " (the files moved so far are there; nothing was deleted)");
      }
    }
    LOG.log(System.Logger.Level.WARNING,
        "--restart: moved the run''s earlier files ({0}) to {1}; training starts from step 0",
        entries.stream().map(Path::getName).toList(), to);
    return Optional.of(to);
  }
}
