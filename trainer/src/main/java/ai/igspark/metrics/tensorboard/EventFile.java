package ai.igspark.metrics.tensorboard;

import java.io.Closeable;
import java.io.IOException;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileAlreadyExistsException;
import org.apache.hadoop.fs.FSError;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocalFileSystem;
import org.apache.hadoop.fs.Path;

/**
 * One open event file, {@code events.out.tfevents.<unix seconds>.<host>} (a {@code .N} suffix
 * when a file of that name exists), starting with the file-version record. Appends whole batches
 * of framed records and makes each visible to readers (hflush) before returning.
 */
final class EventFile implements Closeable {
  static final String PREFIX = "events.out.tfevents.";
  private static final System.Logger LOG = System.getLogger(EventFile.class.getName());
  private static final int MAX_SUFFIX = 1000;

  private final FSDataOutputStream out;
  private final Path path;
  private boolean syncable = true;

  private EventFile(FSDataOutputStream out, Path path) {
    this.out = out;
    this.path = path;
  }

  /** Creates a new event file in {@code dir} (made if missing) and writes its first record. */
  static EventFile create(FileSystem fs, Path dir, String host, double wallTime)
      throws IOException {
    // Local disk: the raw filesystem, as for metrics.jsonl. The checksummed one would put a
    // ".events.out.tfevents…crc" beside the file, which TensorBoard would also try to read.
    FileSystem target = fs instanceof LocalFileSystem local ? local.getRaw() : fs;
    if (!target.mkdirs(dir)) {
      throw new IOException("cannot create the directory " + dir);
    }
    String base = PREFIX + (long) wallTime + "." + host;
    for (int k = 0; k < MAX_SUFFIX; k++) {
      Path p = new Path(dir, k == 0 ? base : base + "." + k);
      FSDataOutputStream out;
      try {
        if (target.exists(p)) {
          continue;
        }
        out = target.create(p, false);
      } catch (FileAlreadyExistsException e) {
        continue;
      }
      EventFile file = new EventFile(out, p);
      try {
        file.append(TfRecord.frame(EventEncoder.fileVersion(wallTime)));
      } catch (IOException | RuntimeException | FSError e) {
        file.closeQuietly();
        throw e;
      }
      return file;
    }
    throw new IOException(
        "no free event file name in " + dir + ": " + base + " .. ." + (MAX_SUFFIX - 1)
            + " all exist");
  }

  Path path() {
    return path;
  }

  /** Writes {@code records} (framed) and flushes them to the filesystem. */
  void append(byte[] records) throws IOException {
    out.write(records);
    if (syncable) {
      try {
        out.hflush();
        return;
      } catch (UnsupportedOperationException e) {
        // Object stores (s3a) refuse hflush: their files appear when closed.
        syncable = false;
        LOG.log(System.Logger.Level.INFO,
            "{0}: the filesystem cannot flush open files; events appear when the writer closes",
            path);
      }
    }
    out.flush();
  }

  @Override
  public void close() throws IOException {
    out.close();
  }

  /** Closes after a failure; a second error says nothing new. */
  void closeQuietly() {
    try {
      out.close();
    } catch (IOException | RuntimeException | FSError e) {
      LOG.log(System.Logger.Level.DEBUG, "closing " + path + " after a failure", e);
    }
  }
}
