package ai.igspark.train;

import org.apache.hadoop.fs.FSError;

/**
 * Recognises a failing file system in a segment's failure (docs/RELIABILITY.md "Full disk and
 * preemption"): Hadoop's {@link FSError} (ENOSPC on the local disk, a {@code java.lang.Error}),
 * or an I/O error whose message says the disk or quota is full, anywhere in the cause chain; the
 * ranks' writer ({@code CheckpointWriter}) reports it with the file and its file system.
 */
final class StorageFailure {
  private static final String[] FULL = {
    "No space left on device", "Disk quota exceeded", "DSQuotaExceededException",
    "NSQuotaExceededException"
  };

  private StorageFailure() {}

  /** Whether {@code e} is a full or failing file system. */
  static boolean is(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof FSError) {
        return true;
      }
      String m = String.valueOf(t.getMessage()) + " " + t.getClass().getSimpleName();
      for (String full : FULL) {
        if (m.contains(full)) {
          return true;
        }
      }
    }
    return false;
  }

  /** What to do, for the final message of a run that gave up on a storage failure. */
  static String advice(String runDir) {
    return "Free space on the file system named above (or move run.dir to one with room) and run"
        + " the same command again to resume from there; " + runDir + " holds nothing of the"
        + " failed attempt.";
  }
}
