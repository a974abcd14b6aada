package ai.igspark.data.format;

import ai.igspark.data.InvalidInputException;
import ai.igspark.tensorfile.HostTensor;
import ai.igspark.tensorfile.SafetensorsFile;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * The driver's check of a dataset's shards before step 0: each shard's safetensors header
 * (tensor names, dtype, shape, rows as the manifest lists them) and its label tensor (every label
 * in [0, num_classes)), read through the dataset's FileSystem. Only headers and labels are read:
 * 8 bytes per sample plus one header per shard. The same checks run on the executors when a shard
 * is opened; found here, a bad dataset stops the run before any job starts instead of failing a
 * segment and its retries.
 */
public final class DatasetPreflight {
  private DatasetPreflight() {}

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
      } catch (java.io.FileNotFoundException e) {
        throw new InvalidInputException(
            name + ": missing shard (listed in " + manifestUri + "); the run cannot start");
      } catch (IOException e) {
        throw new UncheckedIOException("cannot check shard " + name, e);
      }
    }
  }
}
