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

  private static final String IO_EXCEPTION = "java.io.IOException: ";

  private StorageFailure() {}

  /** Whether {@code e} is a full or failing file system. */
  static boolean is(Throwable e) {
    return describe(e) != null;
  }

  /**
   * The line that says what failed, e.g. {@code IOException: No space left on device: cannot
   * write file:/run/checkpoints/…/ema.safetensors (file system file:///)}, or null. Spark's job
   * failure carries a rank's exception as text inside its own message, so lines are searched too.
   */
  static String describe(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
      String m = String.valueOf(t.getMessage());
      for (String line : m.split("\n")) {
        for (String full : FULL) {
          int at = line.indexOf(full);
          if (at >= 0) {
            // From the I/O exception's own text: wrappers' prefixes say nothing more.
            int io = line.lastIndexOf(IO_EXCEPTION, at);
            String text = io >= 0
                ? "IOException: " + line.substring(io + IO_EXCEPTION.length())
                : line.trim();
            return text.equals(m.trim()) ? t.getClass().getSimpleName() + ": " + text : text;
          }
        }
      }
      if (t instanceof FSError) {
        return "FSError: " + m;
      }
    }
    return null;
  }

  /** What to do, for the final message of a run that gave up on a storage failure. */
  static String advice(String runDir) {
    return "Free space on the file system named above (or move run.dir to one with room) and run"
        + " the same command again to resume from there; " + runDir + " holds nothing of the"
        + " failed attempt.";
  }
}
