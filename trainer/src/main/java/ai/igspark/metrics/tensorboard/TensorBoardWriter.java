package ai.igspark.metrics.tensorboard;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import org.apache.hadoop.fs.FSError;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Writes TensorBoard event files ({@code tensorboard --logdir <dir>}) through a Hadoop
 * FileSystem: scalars and images, in batches the caller ends with {@link #flush()}.
 *
 * <p>Records wait in memory until {@code flush()}, which writes the batch and hflushes it, so a
 * crash loses at most the batch not yet flushed. (A batch over 8 MiB is flushed on its own.)
 *
 * <p>A metrics failure never fails training: no method throws on an I/O error. The first error
 * is logged, the open file is abandoned and records are dropped (and counted) until a new file
 * can be created — tried at the next flush once the retry interval (a minute) has passed. Each
 * such file starts afresh and TensorBoard reads all the files of a directory. {@link #health()}
 * says whether it is writing, what was written and dropped, and the last error.
 *
 * <p>Thread-safe; {@code flush()} blocks its caller for the filesystem's round trip.
 */
public final class TensorBoardWriter implements AutoCloseable {
  static final Duration DEFAULT_RETRY = Duration.ofMinutes(1);
  private static final int AUTO_FLUSH_BYTES = 8 << 20;
  private static final System.Logger LOG = System.getLogger(TensorBoardWriter.class.getName());

  private final FileSystem fs;
  private final Path dir;
  private final String host;
  private final long retryNanos;
  private final ByteArrayOutputStream pending = new ByteArrayOutputStream();
  private int pendingRecords;
  private EventFile file;
  private Path lastFile;
  private long nextAttemptNanos;
  private boolean failing;
  private boolean closed;
  private long written;
  private long dropped;
  private String lastError;

  /**
   * What the writer has done so far.
   *
   * @param writing whether an event file is open (false after an error until a new file opens,
   *     and after close)
   * @param file the file written now, or the last one written
   * @param lastError the last error (what failed, on which file, why), if any
   */
  public record Health(
      boolean writing, long recordsWritten, long recordsDropped, Optional<Path> file,
      Optional<String> lastError) {}

  private TensorBoardWriter(FileSystem fs, Path dir, Duration retryAfter) {
    this.fs = Objects.requireNonNull(fs, "fs");
    this.dir = Objects.requireNonNull(dir, "dir");
    this.host = hostName();
    this.retryNanos = retryAfter.toNanos();
  }

  /**
   * A writer of a new event file in {@code dir} (created if missing; the run directory's {@code
   * tensorboard/}). Never throws on an I/O error: {@link #health()} reports it.
   */
  public static TensorBoardWriter open(FileSystem fs, Path dir) {
    return open(fs, dir, DEFAULT_RETRY);
  }

  /** As {@link #open(FileSystem, Path)}, trying a new file {@code retryAfter} after an error. */
  static TensorBoardWriter open(FileSystem fs, Path dir, Duration retryAfter) {
    TensorBoardWriter w = new TensorBoardWriter(fs, dir, retryAfter);
    w.openFile();
    return w;
  }

  /** Adds {@code tag = value} at {@code step} to the batch (stored as float32, as TensorBoard). */
  public synchronized void scalar(String tag, long step, double value) {
    add(EventEncoder.scalar(wallTime(), step, checkTag(tag), (float) value));
  }

  /** Adds the image {@code grid} under {@code tag} at {@code step} to the batch, as a PNG. */
  public synchronized void image(String tag, long step, ImageGrid grid) {
    checkTag(tag);
    byte[] png;
    try {
      png = grid.png();
    } catch (RuntimeException e) {
      dropped++;
      report("encoding the image " + tag + " at step " + step + " as PNG", e);
      return;
    }
    add(EventEncoder.image(
        wallTime(), step, tag, grid.height(), grid.width(), grid.channels(), png));
  }

  /**
   * Marks the start of a driver session whose first logged step is {@code firstStep}: TensorBoard
   * then drops what earlier sessions logged at that step or later (a resume logs those steps
   * again; see docs/checkpoints.md).
   */
  public synchronized void sessionStart(long firstStep) {
    add(EventEncoder.sessionStart(wallTime(), firstStep));
  }

  /** Writes the batch and makes it visible to readers; after an error, may open a new file. */
  public synchronized void flush() {
    if (pendingRecords == 0) {
      return;
    }
    byte[] batch = pending.toByteArray();
    int records = pendingRecords;
    pending.reset();
    pendingRecords = 0;
    if (file == null && !closed && System.nanoTime() - nextAttemptNanos >= 0) {
      openFile();
    }
    if (file == null) {
      dropped += records;
      return;
    }
    try {
      file.append(batch);
      written += records;
    } catch (IOException | RuntimeException | FSError e) {
      dropped += records;
      fail("writing " + records + " records to " + file.path(), e);
    }
  }

  public synchronized Health health() {
    return new Health(
        file != null && !closed, written, dropped, Optional.ofNullable(lastFile),
        Optional.ofNullable(lastError));
  }

  /** Flushes and closes the file; later records are dropped. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    flush();
    closed = true;
    if (file != null) {
      try {
        file.close();
      } catch (IOException | RuntimeException | FSError e) {
        fail("closing " + file.path(), e);
      }
    }
  }

  private void add(byte[] event) {
    if (closed) {
      dropped++;
      return;
    }
    pending.writeBytes(TfRecord.frame(event));
    pendingRecords++;
    if (pending.size() >= AUTO_FLUSH_BYTES) {
      flush();
    }
  }

  private void openFile() {
    try {
      file = EventFile.create(fs, dir, host, wallTime());
      lastFile = file.path();
      if (failing) {
        failing = false;
        LOG.log(System.Logger.Level.INFO,
            "TensorBoard events resume in {0} ({1} records dropped so far)", file.path(), dropped);
      }
    } catch (IOException | RuntimeException | FSError e) {
      fail("creating an event file in " + dir, e);
    }
  }

  /**
   * An I/O error: abandons the open file (a half-written batch must not be followed by more) and
   * waits the retry interval before trying a new one. Logged when it starts a failing spell.
   */
  private void fail(String what, Throwable e) {
    lastError = what + ": " + e;
    if (failing) {
      LOG.log(System.Logger.Level.DEBUG, lastError, e);
    } else {
      failing = true;
      LOG.log(System.Logger.Level.WARNING,
          "TensorBoard events stop (" + what + "); training goes on, a new event file is tried"
              + " every " + retryNanos / 1_000_000_000L + " s", e);
    }
    if (file != null) {
      file.closeQuietly();
      file = null;
    }
    nextAttemptNanos = System.nanoTime() + retryNanos;
  }

  /** An error that leaves the file usable (one record could not be made). */
  private void report(String what, Exception e) {
    lastError = what + ": " + e;
    LOG.log(System.Logger.Level.WARNING, "TensorBoard record dropped (" + what + ")", e);
  }

  private static String checkTag(String tag) {
    if (tag == null || tag.isEmpty()) {
      throw new IllegalArgumentException("a TensorBoard tag must be a non-empty string");
    }
    return tag;
  }

  private static double wallTime() {
    return System.currentTimeMillis() / 1000.0;
  }

  /** The host part of file names; only characters that are safe in any filesystem's names. */
  private static String hostName() {
    String h;
    try {
      h = InetAddress.getLocalHost().getHostName();
    } catch (IOException e) {
      h = "localhost";
    }
    return h.replaceAll("[^A-Za-z0-9._-]", "_");
  }
}
