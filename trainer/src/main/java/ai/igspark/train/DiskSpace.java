package ai.igspark.train;

import java.io.File;
import java.io.IOException;
import java.io.PrintStream;
import java.util.Locale;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSError;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The driver's free-space check on a local file system (docs/RELIABILITY.md "Full disk and
 * preemption"): before a segment, whose end writes a checkpoint, the free space under the
 * checkpoints directory is compared with the size of the checkpoint it resumes from. Too little
 * is said at once, not when the write fails a segment later. Other file systems (HDFS, object
 * stores) report space per cluster or not at all: nothing is checked there.
 */
final class DiskSpace {
  private static final Logger LOG = LoggerFactory.getLogger(DiskSpace.class);

  private DiskSpace() {}

  /**
   * Warns on {@code console} when the local file system under {@code checkpoints} has less free
   * space than the checkpoint {@code previous} (a committed checkpoint directory) takes.
   *
   * @return the warning, or null when there is room, nothing to compare with, or no local disk
   */
  static String checkBefore(
      long nextStep, String previous, Path checkpoints, Configuration conf, PrintStream console) {
    if (previous == null) {
      return null;
    }
    try {
      Path dir = new Path(previous);
      FileSystem fs = dir.getFileSystem(conf);
      if (!"file".equals(fs.getUri().getScheme())) {
        return null;
      }
      long needed = fs.getContentSummary(dir).getLength();
      File local = new File(fs.makeQualified(checkpoints).toUri());
      long free = local.getUsableSpace();
      if (free == 0 && !local.exists()) {
        return null;
      }
      if (free >= needed) {
        return null;
      }
      String warning = String.format(Locale.ROOT,
          "igspark: warning: %s has %s free on the local file system, but the last checkpoint"
              + " (%s) took %s: the checkpoint of step %d will fail unless space is freed",
          local, size(free), dir.getName(), size(needed), nextStep);
      console.println(warning);
      LOG.warn(warning.substring("igspark: warning: ".length()));
      return warning;
    } catch (IOException | FSError | IllegalArgumentException e) {
      LOG.debug("free-space check skipped: {}", e.toString());
      return null;
    }
  }

  static String size(long bytes) {
    if (bytes < 1 << 20) {
      return String.format(Locale.ROOT, "%.1f KiB", bytes / 1024.0);
    }
    if (bytes < 1L << 30) {
      return String.format(Locale.ROOT, "%.1f MiB", bytes / (double) (1 << 20));
    }
    return String.format(Locale.ROOT, "%.2f GiB", bytes / (double) (1L << 30));
  }
}
