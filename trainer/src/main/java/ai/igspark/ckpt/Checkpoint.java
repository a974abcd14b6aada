package ai.igspark.ckpt;

import ai.igspark.data.Sha256;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.util.List;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/** A committed checkpoint: its manifest and verified reads of its files. */
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
   * size or SHA-256 different from the manifest's throws {@link CheckpointIntegrityException}.
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
    return new VerifyingStream(fs.open(new Path(dir, fileName)), entry, dir);
  }

  /** Re-reads every file and compares sizes and SHA-256 with the manifest. */
  public void verify() throws IOException {
    byte[] buffer = new byte[1 << 20];
    for (FileEntry f : manifest.files()) {
      try (InputStream in = read(f.name())) {
        while (in.read(buffer) >= 0) {
          // VerifyingStream checks at the end.
        }
      }
    }
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

    @Override
    public int read() throws IOException {
      int b = in.read();
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
      int n = in.read(b, off, len);
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
