package ai.igspark.data.format;

import ai.igspark.data.InvalidInputException;
import ai.igspark.data.Sha256;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;

/**
 * Local copies of shards, verified against their sha256 once. A copy is stored under its digest
 * ({@code <sha256>.safetensors}) and renamed there only after the digest matched, so a file with
 * that name is always a verified copy: later tasks and JVMs of the same application on the same
 * machine (same directory) reuse it without hashing again. Local ({@code file:}) shards are not
 * copied: they are hashed in place once per cache and mapped where they are.
 */
public final class LocalShardCache {
  private final Path localDir;
  private final Map<String, Path> verified = new ConcurrentHashMap<>();

  public LocalShardCache(Path localDir) {
    this.localDir = localDir;
  }

  /** A cache under {@code java.io.tmpdir}/igspark-shards. */
  public static LocalShardCache inTempDir() {
    return new LocalShardCache(Path.of(System.getProperty("java.io.tmpdir"), "igspark-shards"));
  }

  /**
   * The cache of one Spark application on this machine ({@code
   * <java.io.tmpdir>/igspark-shards/<applicationId>}), shared by its executors' tasks and JVMs.
   */
  public static LocalShardCache forApplication(String applicationId) {
    if (applicationId.isEmpty() || applicationId.contains("/") || applicationId.contains("..")) {
      throw new IllegalArgumentException("bad application id '" + applicationId + "'");
    }
    return new LocalShardCache(
        Path.of(System.getProperty("java.io.tmpdir"), "igspark-shards", applicationId));
  }

  public Path localDir() {
    return localDir;
  }

  /** A local, verified file holding {@code shard}; copies and hashes it on first use. */
  public Path fetch(org.apache.hadoop.fs.Path remote, ShardEntry shard, Configuration conf) {
    String key = remote + "#" + shard.sha256();
    Path done = verified.get(key);
    if (done != null) {
      return done;
    }
    synchronized (this) {
      done = verified.get(key);
      if (done == null) {
        done = copyAndVerify(remote, shard, conf);
        verified.put(key, done);
      }
      return done;
    }
  }

  private Path copyAndVerify(org.apache.hadoop.fs.Path remote, ShardEntry shard,
      Configuration conf) {
    FileSystem fs = FileSystemUris.fileSystem(remote, conf);
    boolean local = "file".equals(remote.toUri().getScheme());
    Path cached = localDir.resolve(shard.sha256() + ".safetensors");
    try {
      long length;
      try {
        length = fs.getFileStatus(remote).getLen();
      } catch (FileNotFoundException e) {
        throw new InvalidInputException(remote + ": missing shard (listed in the manifest)");
      }
      if (length != shard.bytes()) {
        throw new InvalidInputException(remote + ": " + (length < shard.bytes() ? "truncated: "
            : "wrong size: ") + "the manifest records " + shard.bytes() + " bytes, the file has "
            + length);
      }
      if (local) {
        Path file = Path.of(remote.toUri());
        try (InputStream in = Files.newInputStream(file)) {
          checkDigest(remote, shard, Sha256.of(in));
        }
        return file;
      }
      if (Files.isRegularFile(cached) && Files.size(cached) == shard.bytes()) {
        return cached; // named by its digest only after verification
      }
      Files.createDirectories(localDir);
      Path tmp = Files.createTempFile(localDir, "." + shard.sha256(), ".tmp");
      try {
        try (InputStream in = fs.open(remote); OutputStream out = Files.newOutputStream(tmp)) {
          checkDigest(remote, shard, Sha256.copy(in, out));
        }
        Files.move(tmp, cached, StandardCopyOption.ATOMIC_MOVE,
            StandardCopyOption.REPLACE_EXISTING);
      } finally {
        Files.deleteIfExists(tmp);
      }
      return cached;
    } catch (IOException e) {
      throw new InvalidInputException(remote + ": cannot copy the shard to " + localDir + ": "
          + e.getMessage(), e);
    }
  }

  private static void checkDigest(org.apache.hadoop.fs.Path remote, ShardEntry shard,
      String actual) {
    if (!actual.equals(shard.sha256())) {
      throw new InvalidInputException(remote + ": sha256 mismatch: the manifest records "
          + shard.sha256() + " but the file's digest is " + actual
          + " (the shard was changed or damaged after ingestion)");
    }
  }
}
