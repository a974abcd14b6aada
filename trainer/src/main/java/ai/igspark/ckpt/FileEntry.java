package ai.igspark.ckpt;

import java.io.Serializable;
import java.util.regex.Pattern;

/**
 * One file of a checkpoint as its writer reported it: name (no directories), size in bytes and the
 * lower-case hex SHA-256 of its content. Serializable: ranks return it in Spark task results.
 */
public record FileEntry(String name, long size, String sha256) implements Serializable {
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,199}");
  private static final Pattern HEX = Pattern.compile("[0-9a-f]{64}");

  public FileEntry {
    checkName(name);
    if (size < 0) {
      throw new IllegalArgumentException(name + ": negative size " + size);
    }
    if (sha256 == null || !HEX.matcher(sha256).matches()) {
      throw new IllegalArgumentException(name + ": sha256 must be 64 lower-case hex digits");
    }
  }

  /** File names are flat (no '/') and start with a letter or digit. */
  static void checkName(String name) {
    if (name == null || !NAME.matcher(name).matches()) {
      throw new IllegalArgumentException(
          "checkpoint file name '" + name + "': expected [A-Za-z0-9][A-Za-z0-9._-]* (no '/')");
    }
  }

  /** A name ranks may write: {@link #checkName} and none of the store's own names. */
  static void checkWritable(String name) {
    checkName(name);
    if (name.equals(CheckpointStore.MANIFEST) || name.equals(CheckpointStore.STATE)
        || name.contains(".tmp") || name.endsWith(".crc")) {
      throw new IllegalArgumentException(
          "checkpoint file name '" + name + "' is reserved by the checkpoint store");
    }
  }
}
