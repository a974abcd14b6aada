package ai.igspark.cli;

import ai.igspark.ckpt.CheckpointStore;
import ai.igspark.data.InvalidInputException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * Refuses an output file that would replace one of the command's own inputs or land inside a
 * committed checkpoint (a directory holding MANIFEST.json) or a run's checkpoint store (holding
 * LATEST): no command but {@code train} writes there. Paths are compared after resolving symbolic
 * links, so a link cannot get around it.
 */
final class OutputGuard {
  private OutputGuard() {}

  /** Checks {@code output} (null: not asked for), given with {@code option}. */
  static void check(String option, Path output, Path... inputs) {
    if (output == null) {
      return;
    }
    Path target = real(output);
    for (Path input : inputs) {
      if (input != null && target.equals(real(input))) {
        throw new InvalidInputException(
            option + " " + output + ": that is one of this command's inputs (" + input
                + "); write the result to another file");
      }
    }
    for (Path dir = target.getParent(); dir != null; dir = dir.getParent()) {
      String what = Files.exists(dir.resolve(CheckpointStore.MANIFEST))
          ? "the committed checkpoint "
          : Files.exists(dir.resolve(CheckpointStore.LATEST)) ? "the checkpoint store " : null;
      if (what != null) {
        throw new InvalidInputException(
            option + " " + output + ": lies inside " + what + dir + ", which only `igspark"
                + " train` writes; write the result outside the run's checkpoints directory");
      }
    }
  }

  /** The absolute path with every link resolved, for the part of it that exists. */
  private static Path real(Path p) {
    Path existing = p.toAbsolutePath().normalize();
    Deque<Path> rest = new ArrayDeque<>();
    while (existing.getParent() != null && !Files.exists(existing)) {
      rest.push(existing.getFileName());
      existing = existing.getParent();
    }
    try {
      Path out = existing.toRealPath();
      while (!rest.isEmpty()) {
        out = out.resolve(rest.pop());
      }
      return out;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
