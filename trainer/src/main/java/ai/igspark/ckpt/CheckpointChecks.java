package ai.igspark.ckpt;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeSet;
import org.apache.hadoop.fs.ChecksumException;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * The checks that make a directory a checkpoint one may read (docs/checkpoints.md "Loading"): a
 * readable manifest for the expected step that lists every file a resume needs
 * ({@link ResumeFiles#REQUIRED}); the directory holding exactly those files with their sizes;
 * state.json equal to the manifest's state; and, when asked, every file's SHA-256. Any failure is a
 * {@link CheckpointIntegrityException} naming the file and what differs; other I/O errors (the
 * filesystem unreachable) propagate as they are, so nothing transient marks a checkpoint broken.
 */
final class CheckpointChecks {
  private static final ObjectMapper JSON = new ObjectMapper();

  private CheckpointChecks() {}

  /**
   * The checkpoint in {@code dir}, checked.
   *
   * @param expectedStep the step the directory's name says, or -1 for any
   * @param rehash also read every file and compare its SHA-256
   */
  static Checkpoint inspect(FileSystem fs, Path dir, long expectedStep, boolean rehash)
      throws IOException {
    Map<String, FileStatus> present = listing(fs, dir);
    CheckpointManifest manifest = readManifest(fs, dir);
    if (expectedStep >= 0 && manifest.step() != expectedStep) {
      throw new CheckpointIntegrityException(
          dir + ": MANIFEST is for step " + manifest.step() + ", not " + expectedStep);
    }
    TreeSet<String> unlisted = new TreeSet<>(ResumeFiles.REQUIRED);
    manifest.files().forEach(f -> unlisted.remove(f.name()));
    if (!unlisted.isEmpty()) {
      throw new CheckpointIntegrityException(
          dir + ": incomplete checkpoint: its MANIFEST does not list " + unlisted
              + " (a resume needs " + ResumeFiles.REQUIRED + ")");
    }
    for (FileEntry f : manifest.files()) {
      FileStatus s = present.remove(f.name());
      if (s == null) {
        throw new CheckpointIntegrityException(
            new Path(dir, f.name()) + ": listed in MANIFEST but missing");
      }
      if (s.getLen() != f.size()) {
        throw new CheckpointIntegrityException(
            new Path(dir, f.name()) + ": size " + s.getLen() + " differs from the manifest's "
                + f.size());
      }
      present.remove(crcName(f.name()));
    }
    present.remove(CheckpointStore.MANIFEST);
    present.remove(crcName(CheckpointStore.MANIFEST));
    if (!present.isEmpty()) {
      throw new CheckpointIntegrityException(
          dir + ": files not in its MANIFEST: " + new TreeSet<>(present.keySet()));
    }
    Checkpoint checkpoint = new Checkpoint(fs, dir, manifest);
    checkState(checkpoint);
    if (rehash) {
      checkpoint.verify();
    }
    return checkpoint;
  }

  /** MANIFEST.json of {@code dir}, parsed; missing or unreadable is an integrity failure. */
  static CheckpointManifest readManifest(FileSystem fs, Path dir) throws IOException {
    Path p = new Path(dir, CheckpointStore.MANIFEST);
    byte[] bytes;
    try (InputStream in = fs.open(p)) {
      bytes = in.readAllBytes();
    } catch (FileNotFoundException e) {
      throw new CheckpointIntegrityException(
          dir + " has no " + CheckpointStore.MANIFEST + " (never committed, or damaged)");
    } catch (ChecksumException e) {
      throw new CheckpointIntegrityException(
          p + ": Hadoop checksum mismatch (its .crc disagrees): " + e.getMessage(), e);
    }
    return CheckpointManifest.parse(bytes, p.toString());
  }

  /** state.json (read verified) must be the JSON of the manifest's state. */
  private static void checkState(Checkpoint checkpoint) throws IOException {
    byte[] bytes;
    try (InputStream in = checkpoint.read(CheckpointStore.STATE)) {
      bytes = in.readAllBytes();
    }
    JsonNode state;
    try {
      state = JSON.readTree(bytes);
    } catch (IOException e) {
      throw new CheckpointIntegrityException(
          checkpoint.dir() + "/" + CheckpointStore.STATE + ": unreadable state: " + e.getMessage(),
          e);
    }
    if (state == null || !state.equals(checkpoint.manifest().state())) {
      throw new CheckpointIntegrityException(
          checkpoint.dir() + "/" + CheckpointStore.STATE + " differs from the state in its "
              + CheckpointStore.MANIFEST);
    }
  }

  private static Map<String, FileStatus> listing(FileSystem fs, Path dir) throws IOException {
    FileStatus[] statuses;
    try {
      statuses = fs.listStatus(dir);
    } catch (FileNotFoundException e) {
      throw new CheckpointIntegrityException(dir + ": no such checkpoint directory");
    }
    Map<String, FileStatus> present = new HashMap<>();
    for (FileStatus s : statuses) {
      present.put(s.getPath().getName(), s);
    }
    return present;
  }

  /** The checksum file Hadoop's local filesystem keeps beside {@code name}. */
  private static String crcName(String name) {
    return "." + name + ".crc";
  }
}
