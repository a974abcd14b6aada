package ai.igspark.train;

import ai.igspark.data.InvalidInputException;
import ai.igspark.data.Sha256;
import ai.igspark.data.format.DatasetManifest;
import ai.igspark.data.format.ShardEntry;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * The driver's check of the data before the first segment: every shard the manifest lists exists
 * with its recorded size and sha256. Executors verify the digest again when they copy a shard to
 * their local cache, but a bad shard found there fails a segment and burns the retry budget; found
 * here, the run refuses to start and names the shard.
 */
final class ShardCheck {
  private ShardCheck() {}

  /** Throws {@link InvalidInputException} naming the first missing, resized or altered shard. */
  static void verify(String manifestUri, DatasetManifest manifest, Configuration conf) {
    Path dir = DatasetManifest.manifestPath(manifestUri).getParent();
    for (ShardEntry entry : manifest.shards()) {
      Path shard = new Path(dir, entry.path());
      try {
        FileSystem fs = shard.getFileSystem(conf);
        FileStatus status;
        try {
          status = fs.getFileStatus(shard);
        } catch (FileNotFoundException e) {
          throw new InvalidInputException(
              shard + ": missing shard (listed in " + manifestUri + "); the run cannot start");
        }
        if (status.getLen() != entry.bytes()) {
          throw new InvalidInputException(
              shard + ": " + (status.getLen() < entry.bytes() ? "truncated" : "wrong size")
                  + ": the manifest records " + entry.bytes() + " bytes, the file has "
                  + status.getLen() + "; the run cannot start");
        }
        String actual = sha256(fs, shard);
        if (!actual.equals(entry.sha256())) {
          throw new InvalidInputException(
              shard + ": sha256 mismatch: the manifest records " + entry.sha256()
                  + " but the file's digest is " + actual + "; the run cannot start");
        }
      } catch (IOException e) {
        throw new UncheckedIOException("cannot check shard " + shard, e);
      }
    }
  }

  private static String sha256(FileSystem fs, Path file) throws IOException {
    try (InputStream in = fs.open(file)) {
      return Sha256.of(in);
    }
  }
}
