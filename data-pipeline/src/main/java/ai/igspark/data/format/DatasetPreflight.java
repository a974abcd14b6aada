package ai.igspark.data.format;

import ai.igspark.data.InvalidInputException;
import ai.igspark.data.Sha256;
import ai.igspark.tensorfile.HostTensor;
import ai.igspark.tensorfile.SafetensorsFile;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * The driver's checks of a dataset before step 0, read through the dataset's FileSystem.
 * {@link #checkFiles}: every shard's size and SHA-256 against its manifest entry (every byte once).
 * {@link #check}: every shard's safetensors header (tensor names, dtype, shape, rows as the
 * manifest lists them) and its labels (each in [0, num_classes)): 8 bytes per sample plus one
 * header per shard. The executors run the same checks when they open a shard; found here, a bad
 * dataset stops the run before any job starts instead of failing a segment and its retries.
 */
public final class DatasetPreflight {
  private DatasetPreflight() {}

  /**
   * {@link #checkFiles} then {@link #check}: every shard whole (size, SHA-256) and fitting the
   * manifest (headers, labels).
   */
  public static void verify(String manifestUri, DatasetManifest manifest, Configuration conf) {
    checkFiles(manifestUri, manifest, conf);
    check(manifestUri, manifest, conf);
  }

  /**
   * Throws {@link InvalidInputException} naming the first missing, resized or altered shard: its
   * size and SHA-256 against the manifest entry (reads every byte once).
   */
  public static void checkFiles(String manifestUri, DatasetManifest manifest, Configuration conf) {
    Path dir = DatasetManifest.manifestPath(manifestUri).getParent();
    for (ShardEntry entry : manifest.shards()) {
      Path shard = new Path(dir, entry.path());
      try {
        FileSystem fs = FileSystemUris.fileSystem(shard, conf);
        long size = fs.getFileStatus(shard).getLen();
        if (size != entry.bytes()) {
          throw new InvalidInputException(
              shard + ": " + (size < entry.bytes() ? "truncated" : "wrong size")
                  + ": the manifest records " + entry.bytes() + " bytes, the file has " + size);
        }
        String actual;
        try (InputStream in = fs.open(shard)) {
          actual = Sha256.of(in);
        }
        if (!actual.equals(entry.sha256())) {
          throw new InvalidInputException(
              shard + ": sha256 mismatch: the manifest records " + entry.sha256()
                  + " but the file's digest is " + actual);
        }
      } catch (FileNotFoundException e) {
        throw missing(shard, manifestUri);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot check shard " + shard, e);
      }
    }
  }

  /** Throws {@link InvalidInputException} naming the first shard that does not fit. */
  public static void check(String manifestUri, DatasetManifest manifest, Configuration conf) {
    if (manifest.shards().isEmpty()) {
      throw new InvalidInputException(
          manifestUri + ": the dataset lists no shards; nothing to train on");
    }
    ShardLayout layout = new ShardLayout(manifest);
    Path dir = DatasetManifest.manifestPath(manifestUri).getParent();
    for (ShardEntry entry : manifest.shards()) {
      Path shard = new Path(dir, entry.path());
      String name = shard.toString();
      try {
        FileSystem fs = FileSystemUris.fileSystem(shard, conf);
        long size = fs.getFileStatus(shard).getLen();
        try (FSDataInputStream in = fs.open(shard)) {
          SafetensorsFile.Header header = SafetensorsFile.readHeader(in, size, name);
          layout.checkTensors(name, header.tensors(), entry.count());
          SafetensorsFile.TensorInfo labels = header.tensors().get(ShardLayout.LABELS);
          byte[] bytes = new byte[Math.toIntExact(labels.byteSize())];
          in.readFully(header.dataStart() + labels.begin(), bytes);
          long[] values = new HostTensor(labels.dtype(), labels.shape(),
              ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN)).toLongs();
          layout.checkLabels(name, values);
        }
      } catch (FileNotFoundException e) {
        throw missing(shard, manifestUri);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot check shard " + name, e);
      }
    }
  }

  private static InvalidInputException missing(Path shard, String manifestUri) {
    return new InvalidInputException(shard + ": missing shard (listed in " + manifestUri + ")");
  }
}
