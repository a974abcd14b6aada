package ai.igspark.ckpt;

import ai.igspark.metrics.MetricsJson;
import ai.igspark.metrics.MetricsRecord;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.function.Consumer;
import org.apache.hadoop.fs.CommonPathCapabilities;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FSError;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Appends one {@link MetricsRecord} per line ({@link MetricsJson}) to a run's metrics, flushing (hflush) after each line so
 * readers (notebooks, {@code tail -f}) see it while the run goes on.
 *
 * <p>Where it appends: {@code metrics.jsonl}, created on first use and re-opened with {@code
 * FileSystem.append} by later driver sessions. When append is not possible — the filesystem does
 * not support it (e.g. s3a), or HDFS still holds the lease of a driver that died (until lease
 * recovery) — this session writes its own part, {@code metrics-<UTC time>-<nonce>.jsonl}, instead.
 * {@link RunDirectory#readMetrics()} reads {@code metrics.jsonl} then the parts in name order.
 * A line cut short by a crash is ended before new lines are appended, and readers skip it; step
 * records of older versions ({@code "type":"step"}) are read with {@code kind} set.
 */
public final class MetricsLog implements Closeable {
  static final String FILE = "metrics.jsonl";
  static final String PART_PREFIX = "metrics-";
  private static final System.Logger LOG = System.getLogger(MetricsLog.class.getName());
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss");

  /** Lines held while the file system fails; beyond this the oldest are dropped, counted. */
  static final int MAX_PENDING = 100_000;
  private static final long RETRY_NANOS = 1_000_000_000L;
  /** Checked before each line: a driver that lost its run lock appends nothing more. */
  private volatile Fence guard = Fence.NONE;
  private boolean fenceWarned;
  private boolean listenerWarned;

  private final FileSystem fs;
  private final Path runDir;
  private FSDataOutputStream out;
  private Path file;
  /** Lines not yet written (the file system failed); written, in order, before any new one. */
  private final ArrayDeque<String> pending = new ArrayDeque<>();
  private final List<Consumer<MetricsRecord>> listeners = new ArrayList<>();
  private long dropped;
  private long nextRetry;

  private MetricsLog(FileSystem fs, Path runDir, Opened opened) {
    this.fs = fs;
    this.runDir = runDir;
    this.out = opened.out();
    this.file = opened.file();
  }

  private record Opened(FSDataOutputStream out, Path file) {}

  static MetricsLog open(FileSystem checksummed, Path runDir) throws IOException {
    // On the local disk, no .crc: a crash mid-line or a tool appending would make it unreadable.
    FileSystem fs = SmallFiles.control(checksummed);
    try {
      return new MetricsLog(fs, runDir, openStream(fs, runDir));
    } catch (FSError e) {
      throw new IOException(e.getMessage() + ": cannot open the metrics of " + runDir
          + " (file system " + fs.getUri() + ")", e.getCause());
    }
  }

  private static Opened openStream(FileSystem fs, Path runDir) throws IOException {
    Path main = new Path(runDir, FILE);
    if (!fs.exists(main)) {
      try {
        if (!fs.hasPathCapability(runDir, CommonPathCapabilities.FS_APPEND)) {
          return new Opened(fs.create(main, false), main);
        }
        // Created empty, then appended to: a create()d local stream writes at its own offset, so
        // a driver that lost the lock while paused could overwrite the new holder's lines on
        // waking; append mode (O_APPEND) puts every write at the end of the file.
        fs.create(main, false).close();
      } catch (IOException e) {
        LOG.log(System.Logger.Level.WARNING, "cannot create " + main + "; writing a part", e);
        return part(fs, runDir);
      }
    }
    try {
      boolean endsWithNewline = endsWithNewline(fs, main);
      FSDataOutputStream out = fs.append(main);
      if (!endsWithNewline) {
        out.write('\n');
      }
      return new Opened(out, main);
    } catch (IOException | UnsupportedOperationException e) {
      LOG.log(
          System.Logger.Level.INFO,
          "cannot append to {0} ({1}); this session writes its own part",
          main,
          e.toString());
      return part(fs, runDir);
    }
  }

  private static Opened part(FileSystem fs, Path runDir) throws IOException {
    byte[] nonce = new byte[3];
    new SecureRandom().nextBytes(nonce);
    String name =
        PART_PREFIX
            + STAMP.format(ZonedDateTime.now(ZoneOffset.UTC))
            + "-"
            + HexFormat.of().formatHex(nonce)
            + ".jsonl";
    Path p = new Path(runDir, name);
    return new Opened(fs.create(p, false), p);
  }

  private static boolean endsWithNewline(FileSystem fs, Path p) throws IOException {
    long len = fs.getFileStatus(p).getLen();
    if (len == 0) {
      return true;
    }
    try (FSDataInputStream in = fs.open(p)) {
      in.seek(len - 1);
      return in.read() == '\n';
    }
  }

  /** This log, checking {@code guard} before every append (RunDirectory#openMetrics). */
  MetricsLog guardedBy(Fence guard) {
    this.guard = guard;
    return this;
  }

  /** Whether the run lock was lost: then nothing more is appended (warned once). */
  private boolean fenced() {
    try {
      guard.check("append to " + file);
      return false;
    } catch (RunLockLostException e) {
      if (!fenceWarned) {
        fenceWarned = true;
        LOG.log(System.Logger.Level.WARNING, file + ": not appending any more records: " + e.getMessage());
      }
      return true;
    } catch (IOException e) {
      // The lock could not be read (a failing disk): appending is still this driver's best
      // knowledge; commits check the lock themselves and fail on their own.
      return false;
    }
  }

  /** The file this session appends to. */
  public Path file() {
    return file;
  }

  /**
   * Appends {@code record} as one line and flushes it to the filesystem. A failing file system
   * (a full disk: Hadoop's {@link FSError}, or an {@link IOException}) never fails the caller:
   * the line is held, one warning says so, and held lines are written, in order, by a later
   * append (at most one try a second) or by {@link #close}. The stream that failed is given up
   * and the log re-opened, so a line cut short by the failure is ended before the next.
   */
  public synchronized void append(MetricsRecord record) {
    if (fenced()) {
      return;
    }
    hold(MetricsJson.line(record));
    if (out != null || System.nanoTime() - nextRetry >= 0) {
      flushPending();
    }
    for (Consumer<MetricsRecord> l : listeners) {
      tell(l, record);
    }
  }

  /** A listener that breaks its contract (throws) costs itself that record, never the log. */
  private void tell(Consumer<MetricsRecord> listener, MetricsRecord record) {
    try {
      listener.accept(record);
    } catch (RuntimeException | FSError e) {
      if (!listenerWarned) {
        listenerWarned = true;
        LOG.log(System.Logger.Level.WARNING, "metrics: a listener of " + file
            + " failed; the record is in the log, the listener missed it", e);
      }
    }
  }

  /**
   * Also hands every appended record to {@code listener} (the driver's TensorBoard files), which
   * must not throw.
   */
  public synchronized void alsoTo(Consumer<MetricsRecord> listener) {
    listeners.add(listener);
  }

  /** Lines held because the file system failed, not yet written. */
  public synchronized int pendingLines() {
    return pending.size();
  }

  private void hold(String line) {
    if (pending.size() == MAX_PENDING) {
      pending.removeFirst();
      dropped++;
    }
    pending.addLast(line);
  }

  private void flushPending() {
    try {
      if (out == null) {
        Opened opened = openStream(fs, runDir);
        out = opened.out();
        file = opened.file();
        dropIfAlreadyWritten();
      }
      boolean recovered = nextRetry != 0;
      int count = pending.size();
      while (!pending.isEmpty()) {
        out.write((pending.peekFirst() + "\n").getBytes(StandardCharsets.UTF_8));
        out.hflush();
        pending.removeFirst();
      }
      if (recovered) {
        nextRetry = 0;
        LOG.log(System.Logger.Level.WARNING,
            "metrics: {0} is writable again; wrote {1} held record(s){2}", file, count,
            dropped > 0 ? " (" + dropped + " older ones were dropped)" : "");
      }
    } catch (IOException | FSError e) {
      if (nextRetry == 0) {
        // Warn once per outage; training goes on (docs/RELIABILITY.md "Full disk and preemption").
        LOG.log(System.Logger.Level.WARNING,
            "metrics: cannot append to {0} on {1} ({2}); training goes on, records are held"
                + " and written when it is writable again", file, fs.getUri(), reason(e));
      }
      abandonStream();
      nextRetry = System.nanoTime() + RETRY_NANOS;
    }
  }

  /**
   * The failed stream's close may have written the first held line after all: then the file ends
   * with it (and a newline), and writing it again would repeat a record.
   */
  private void dropIfAlreadyWritten() throws IOException {
    if (pending.isEmpty()) {
      return;
    }
    byte[] line = (pending.peekFirst() + "\n").getBytes(StandardCharsets.UTF_8);
    out.hflush();
    long len = fs.getFileStatus(file).getLen();
    if (len < line.length) {
      return;
    }
    byte[] tail = new byte[line.length];
    try (FSDataInputStream in = fs.open(file)) {
      in.readFully(len - line.length, tail);
    }
    if (java.util.Arrays.equals(tail, line)) {
      pending.removeFirst();
    }
  }

  private void abandonStream() {
    if (out != null) {
      try {
        out.close();
      } catch (IOException | FSError ignored) {
        // the stream failed already; its last line may be cut short, the re-open ends it
      }
      out = null;
    }
  }

  private static String reason(Throwable e) {
    return e instanceof FSError && e.getCause() != null ? e.getCause().getMessage() : e.toString();
  }

  /** Writes held lines (one last try), then closes; what cannot be written is logged, counted. */
  @Override
  public synchronized void close() {
    if (!pending.isEmpty()) {
      flushPending();
    }
    if (!pending.isEmpty()) {
      LOG.log(System.Logger.Level.WARNING, "metrics: {0} record(s) could not be written to {1}",
          pending.size(), file);
    }
    abandonStream();
  }

  static void readInto(FileSystem fs, Path p, java.util.List<JsonNode> records) throws IOException {
    String text;
    try (InputStream in = SmallFiles.control(fs).open(p)) {
      text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    int skipped = 0;
    for (String line : text.split("\n")) {
      if (line.isBlank()) {
        continue;
      }
      try {
        JsonNode n = JSON.readTree(line);
        if (n != null && n.isObject()) {
          records.add(MetricsJson.upgrade(n));
        } else {
          skipped++;
        }
      } catch (IOException e) {
        skipped++;
      }
    }
    if (skipped > 0) {
      LOG.log(System.Logger.Level.WARNING, "{0}: skipped {1} malformed line(s)", p, skipped);
    }
  }
}
