package ai.igspark.ckpt;

import ai.igspark.data.Sha256;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FSError;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Writes the files of one checkpoint attempt (used by ranks, on executors). Each file is hashed
 * while it is written and, on close, hsync'ed and closed; {@link #files()} then lists it with its
 * size and SHA-256, which the rank returns to the driver for {@link CheckpointStore#commit}.
 *
 * <p>Nothing written here is visible as a checkpoint until the driver commits the attempt. A
 * failing disk ({@link FSError}, which Hadoop's local file system throws for ENOSPC, a
 * {@code java.lang.Error}) reaches the caller as an {@link IOException} naming the file and its
 * file system, so the driver retries the attempt like any other I/O failure.
 */
public final class CheckpointWriter {
  private final FileSystem fs;
  private final Path dir;
  private final Set<String> names = new HashSet<>();
  private final List<FileEntry> done = new ArrayList<>();

  CheckpointWriter(FileSystem fs, Path dir) {
    this.fs = fs;
    this.dir = dir;
  }

  /**
   * Opens a writer on an attempt directory given by its URI ({@link CheckpointStore#attemptUri}),
   * which is how executors, with their own Hadoop configuration, reach it.
   */
  public static CheckpointWriter open(URI attemptDir, Configuration conf) throws IOException {
    Path dir = new Path(attemptDir);
    FileSystem fs = dir.getFileSystem(conf);
    if (!fs.getFileStatus(dir).isDirectory()) {
      throw new IOException(attemptDir + " is not a directory");
    }
    return new CheckpointWriter(fs, dir);
  }

  /** The attempt directory. */
  public URI location() {
    return dir.toUri();
  }

  /**
   * Creates {@code fileName} in the attempt directory. Closing the stream hsyncs and closes the
   * file and records its entry; a stream that is never closed leaves no entry.
   */
  public synchronized OutputStream create(String fileName) throws IOException {
    FileEntry.checkWritable(fileName);
    if (!names.add(fileName)) {
      throw new IllegalArgumentException(fileName + " was already written in this attempt");
    }
    Path file = new Path(dir, fileName);
    try {
      return new HashingStream(fileName, fs.create(file, false));
    } catch (FSError e) {
      throw failed(file, e);
    }
  }

  /** The I/O error of {@code e}, with the file and the file system it happened on. */
  private IOException failed(Path file, FSError e) {
    String cause = e.getCause() != null ? e.getCause().getMessage() : e.getMessage();
    return new IOException(cause + ": cannot write " + file + " (file system " + fs.getUri() + ")");
  }

  /** Writes {@code fileName} with {@code body} and returns its entry. */
  public FileEntry write(String fileName, IoConsumer<OutputStream> body) throws IOException {
    HashingStream out = (HashingStream) create(fileName);
    try {
      body.accept(out);
    } catch (IOException | RuntimeException | Error e) {
      out.abandon();
      throw e;
    }
    out.close();
    return out.entry;
  }

  /** Every file written and closed so far, in order. */
  public synchronized List<FileEntry> files() {
    return List.copyOf(done);
  }

  private synchronized void finished(FileEntry entry) {
    done.add(entry);
  }

  /** Counts and hashes what passes through; hsync + close on close. */
  private final class HashingStream extends FilterOutputStream {
    private final String name;
    private final FSDataOutputStream file;
    private final MessageDigest digest = Sha256.newDigest();
    private long size;
    private boolean closed;
    private FileEntry entry;

    HashingStream(String name, FSDataOutputStream file) {
      super(file);
      this.name = name;
      this.file = file;
    }

    @Override
    public void write(int b) throws IOException {
      try {
        file.write(b);
      } catch (FSError e) {
        throw failed(new Path(dir, name), e);
      }
      digest.update((byte) b);
      size++;
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      try {
        file.write(b, off, len);
      } catch (FSError e) {
        throw failed(new Path(dir, name), e);
      }
      digest.update(b, off, len);
      size += len;
    }

    @Override
    public void close() throws IOException {
      if (closed) {
        return;
      }
      closed = true;
      try {
        // hsync: the bytes are on the DataNodes' disks before the rank reports the file.
        file.hsync();
        file.close();
      } catch (FSError e) {
        abandon();
        throw failed(new Path(dir, name), e);
      }
      entry = new FileEntry(name, size, Sha256.hex(digest));
      finished(entry);
    }

    void abandon() {
      closed = true;
      try {
        file.close();
      } catch (IOException | FSError ignored) {
        // The attempt is abandoned anyway; its directory is cleaned up later.
      }
    }
  }
}
