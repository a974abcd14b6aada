package ai.igspark.ckpt;

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
import java.util.HexFormat;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Appends one JSON object per line to a run's metrics, flushing (hflush) after each line so
 * readers (notebooks, {@code tail -f}) see it while the run goes on.
 *
 * <p>Where it appends: {@code metrics.jsonl}, created on first use and re-opened with {@code
 * FileSystem.append} by later driver sessions. When append is not possible — the filesystem does
 * not support it (e.g. s3a), or HDFS still holds the lease of a driver that died (until lease
 * recovery) — this session writes its own part, {@code metrics-<UTC time>-<nonce>.jsonl}, instead.
 * {@link RunDirectory#readMetrics()} reads {@code metrics.jsonl} then the parts in name order.
 * A line cut short by a crash is ended before new lines are appended, and readers skip it.
 */
public final class MetricsLog implements Closeable {
  static final String FILE = "metrics.jsonl";
  static final String PART_PREFIX = "metrics-";
  private static final System.Logger LOG = System.getLogger(MetricsLog.class.getName());
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss");

  private final FSDataOutputStream out;
  private final Path file;
  /** Checked before each line: a driver that lost its run lock appends nothing more. */
  private volatile Fence guard = Fence.NONE;

  private MetricsLog(FSDataOutputStream out, Path file) {
    this.out = out;
    this.file = file;
  }

  static MetricsLog open(FileSystem checksummed, Path runDir) throws IOException {
    // On the local disk, no .crc: a crash mid-line or a tool appending would make it unreadable.
    FileSystem fs = SmallFiles.control(checksummed);
    Path main = new Path(runDir, FILE);
    if (!fs.exists(main)) {
      try {
        return new MetricsLog(fs.create(main, false), main);
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
      return new MetricsLog(out, main);
    } catch (IOException | UnsupportedOperationException e) {
      LOG.log(
          System.Logger.Level.INFO,
          "cannot append to {0} ({1}); this session writes its own part",
          main,
          e.toString());
      return part(fs, runDir);
    }
  }

  private static MetricsLog part(FileSystem fs, Path runDir) throws IOException {
    byte[] nonce = new byte[3];
    new SecureRandom().nextBytes(nonce);
    String name =
        PART_PREFIX
            + STAMP.format(ZonedDateTime.now(ZoneOffset.UTC))
            + "-"
            + HexFormat.of().formatHex(nonce)
            + ".jsonl";
    Path p = new Path(runDir, name);
    return new MetricsLog(fs.create(p, false), p);
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

  /** The file this session appends to. */
  public Path file() {
    return file;
  }

  /** Appends {@code record} (a JSON object) as one line and flushes it to the filesystem. */
  public synchronized void append(JsonNode record) throws IOException {
    if (!record.isObject()) {
      throw new IllegalArgumentException("a metrics record must be a JSON object, got " + record);
    }
    guard.check("append to " + file);
    out.write((JSON.writeValueAsString(record) + "\n").getBytes(StandardCharsets.UTF_8));
    out.hflush();
  }

  @Override
  public synchronized void close() throws IOException {
    out.close();
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
          records.add(n);
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
