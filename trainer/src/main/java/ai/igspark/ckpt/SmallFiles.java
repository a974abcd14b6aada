package ai.igspark.ckpt;

import java.io.IOException;
import java.security.SecureRandom;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileContext;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocalFileSystem;
import org.apache.hadoop.fs.Options;
import org.apache.hadoop.fs.Path;

/**
 * Writes the store's small control files (LATEST, MANIFEST.json, state.json, run.yaml) so that a
 * reader sees the old content or the new, never a mix or nothing.
 *
 * <p>Why not always {@code FileContext.rename(tmp, target, OVERWRITE)}: it is atomic on HDFS (one
 * NameNode operation), but on the local filesystem Hadoop implements OVERWRITE as delete-then-
 * rename, and the checksummed local filesystem renames the data and its .crc separately. On the
 * local disk we therefore write these files through the raw filesystem (no .crc; their content is
 * guarded by the manifest's SHA-256 or by parsing) and replace with a plain rename(2), which POSIX
 * makes atomic.
 */
final class SmallFiles {
  private static final SecureRandom NONCES = new SecureRandom();

  private SmallFiles() {}

  /** The filesystem control files are written through. */
  static FileSystem control(FileSystem fs) {
    return fs instanceof LocalFileSystem local ? local.getRaw() : fs;
  }

  /** Writes {@code bytes} to {@code target} (overwriting), hsync'ed. Not atomic. */
  static void write(FileSystem fs, Path target, byte[] bytes) throws IOException {
    try (FSDataOutputStream out = control(fs).create(target, true)) {
      out.write(bytes);
      out.hsync();
    }
  }

  /** Replaces {@code target} with {@code bytes} atomically: temp file, then rename over it. */
  static void replace(FileSystem fs, FileContext fc, Path target, byte[] bytes)
      throws IOException {
    Path tmp = new Path(target.getParent(),
        target.getName() + ".tmp-" + Long.toHexString(NONCES.nextLong() >>> 1));
    FileSystem control = control(fs);
    try {
      write(fs, tmp, bytes);
      if (control != fs) {
        if (!control.rename(tmp, target)) {
          throw new IOException("rename " + tmp + " → " + target + " returned false");
        }
      } else {
        fc.rename(tmp, target, Options.Rename.OVERWRITE);
      }
    } finally {
      if (control.exists(tmp)) {
        control.delete(tmp, false);
      }
    }
  }
}
