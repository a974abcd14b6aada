package ai.igspark.ckpt;

import ai.igspark.data.Sha256;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.security.MessageDigest;
import java.util.List;
import org.apache.hadoop.fs.ChecksumException;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * A committed checkpoint: its manifest and verified reads of its files. {@link #read} is the one
 * verifying reader every consumer goes through (resume, export, sample, evaluation): each byte is
 * hashed as it passes, and a size, SHA-256 or Hadoop checksum that differs from the manifest's
 * ends the read with a {@link CheckpointIntegrityException}.
 */
public final class Checkpoint {
  private final FileSystem fs;
  private final Path dir;
  private final CheckpointManifest manifest;

  Checkpoint(FileSystem fs, Path dir, CheckpointManifest manifest) {
    this.fs = fs;
    this.dir = dir;
    this.manifest = manifest;
  }

  public long step() {
    return manifest.step();
  }

  /** The training state the driver committed (step, epoch, data position, RNG, world size...). */
  public JsonNode state() {
    return manifest.state();
  }

  public CheckpointManifest manifest() {
    return manifest;
  }

  /** The files the ranks wrote (state.json, written by the driver, excluded). */
  public List<FileEntry> files() {
    return manifest.files().stream().filter(f -> !f.name().equals(CheckpointStore.STATE)).toList();
  }

  /** The checkpoint directory ({@code <run>/checkpoints/step-00050000}). */
  public Path dir() {
    return dir;
  }

  /**
   * Opens {@code fileName}. The stream counts and hashes what is read; reaching the end with a
   * size or SHA-256 different from the manifest's throws {@link CheckpointIntegrityException}, as
   * does a Hadoop checksum error. Closing it before the end reads the rest, so no read of a
   * checkpoint file goes unverified.
   */
  public InputStream read(String fileName) throws IOException {
    FileEntry entry =
        manifest
            .file(fileName)
            .orElseThrow(
                () ->
                    new java.io.FileNotFoundException(
                        dir + " has no file '" + fileName + "' (manifest lists "
                            + manifest.files().stream().map(FileEntry::name).toList() + ")"));
    Path path = new Path(dir, fileName);
    try {
      return new VerifyingStream(fs.open(path), entry, dir);
    } catch (java.io.FileNotFoundException e) {
      throw new CheckpointIntegrityException(path + ": listed in MANIFEST but missing");
    } catch (ChecksumException e) {
      throw VerifyingStream.checksumFailure(path, e);
    }
  }

  /** Re-reads every file and compares sizes and SHA-256 with the manifest. */
  public void verify() throws IOException {
    for (FileEntry f : manifest.files()) {
      verify(f.name());
    }
  }

  /** Reads {@code fileName} through and compares its size and SHA-256 with the manifest. */
  public void verify(String fileName) throws IOException {
    try (InputStream in = read(fileName)) {
      in.transferTo(OutputStream.nullOutputStream());
    }
  }

  /**
   * A local file with the verified content of {@code fileName}, for readers that map files
   * (safetensors): on the local disk the file itself, hashed once first; on any other filesystem
   * a temporary copy (deleted when the JVM exits), hashed while it is copied.
   */
  public java.nio.file.Path verifiedLocalFile(String fileName) throws IOException {
    if ("file".equals(fs.getUri().getScheme())) {
      verify(fileName);
      return java.nio.file.Path.of(new Path(dir, fileName).toUri());
    }
    java.nio.file.Path copy =
        Files.createTempFile("igspark-" + CheckpointStore.stepName(step()) + "-", "-" + fileName);
    copy.toFile().deleteOnExit();
    try (InputStream in = read(fileName);
        OutputStream out = Files.newOutputStream(copy)) {
      in.transferTo(out);
    } catch (IOException | RuntimeException e) {
      Files.deleteIfExists(copy);
      throw e;
    }
    return copy;
  }

  @Override
  public String toString() {
    return "checkpoint " + dir + " (step " + step() + ")";
  }

  private static final class VerifyingStream extends FilterInputStream {
    private final FileEntry entry;
    private final Path dir;
    private final MessageDigest digest = Sha256.newDigest();
    private long size;
    private boolean checked;

    VerifyingStream(InputStream in, FileEntry entry, Path dir) {
      super(in);
      this.entry = entry;
      this.dir = dir;
    }

    static CheckpointIntegrityException checksumFailure(Path file, ChecksumException e) {
      return new CheckpointIntegrityException(
          file + ": Hadoop checksum mismatch (the .crc beside it disagrees with its bytes): "
              + e.getMessage(), e);
    }

    @Override
    public int read() throws IOException {
      int b = guarded(() -> in.read());
      if (b < 0) {
        check();
      } else {
        digest.update((byte) b);
        size++;
      }
      return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      int n = guarded(() -> in.read(b, off, len));
      if (n < 0) {
        check();
      } else {
        digest.update(b, off, n);
        size += n;
        if (size > entry.size()) {
          check();
        }
      }
      return n;
    }

    @Override
    public long skip(long n) throws IOException {
      // Skipping would leave bytes unhashed: read through them instead.
      byte[] buf = new byte[(int) Math.min(n, 1 << 16)];
      long skipped = 0;
      while (skipped < n) {
        int r = read(buf, 0, (int) Math.min(buf.length, n - skipped));
        if (r < 0) {
          break;
        }
        skipped += r;
      }
      return skipped;
    }

    @Override
    public boolean markSupported() {
      return false;
    }

    /** Reads whatever the consumer left, so the size and SHA-256 are checked on every read. */
    @Override
    public void close() throws IOException {
      try {
        if (!checked) {
          byte[] buf = new byte[1 << 16];
          while (read(buf, 0, buf.length) >= 0) {
            // check() runs at the end
          }
        }
      } finally {
        in.close();
      }
    }

    private interface IoRead {
      int read() throws IOException;
    }

    private int guarded(IoRead op) throws IOException {
      try {
        return op.read();
      } catch (ChecksumException e) {
        checked = true;
        throw checksumFailure(new Path(dir, entry.name()), e);
      }
    }

    private void check() throws CheckpointIntegrityException {
      if (checked) {
        return;
      }
      checked = true;
      if (size != entry.size()) {
        throw new CheckpointIntegrityException(
            dir + "/" + entry.name() + ": size " + size + " differs from the manifest's "
                + entry.size());
      }
      String actual = Sha256.hex(digest);
      if (!actual.equals(entry.sha256())) {
        throw new CheckpointIntegrityException(
            dir + "/" + entry.name() + ": SHA-256 " + actual + " differs from the manifest's "
                + entry.sha256());
      }
    }
  }
}
