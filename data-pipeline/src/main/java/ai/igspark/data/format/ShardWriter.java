package ai.igspark.data.format;

import ai.igspark.data.InvalidInputException;
import ai.igspark.data.Sha256;
import ai.igspark.tensorfile.HalfPrecision;
import ai.igspark.tensorfile.HostTensor;
import ai.igspark.tensorfile.SafetensorsWriter;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Writes samples into safetensors shards (executor side of an ingestion). A shard is buffered in
 * memory at its stored dtype and written when it holds {@code spec.samplesPerShard()} samples (or
 * at {@link #finish()}), under a temporary name that is renamed into place, so a retried task
 * replaces rather than corrupts a shard. Nothing here makes a dataset visible: the driver passes
 * the returned entries to {@link DatasetManifest#commit}.
 *
 * <p>Shards are named {@code <namePrefix>-00000.safetensors}, …; give each writer (each Spark
 * partition) its own prefix.
 */
public final class ShardWriter {
  private final Path dir;
  private final FileSystem fs;
  private final Configuration conf;
  private final String namePrefix;
  private final ShardSpec spec;
  private final int sampleSize;
  private final List<ShardEntry> written = new ArrayList<>();

  private ByteBuffer first; // latents or moments_mean
  private ByteBuffer second; // latents_flip or moments_std (null when absent)
  private long[] labels;
  private int count;
  private boolean finished;

  private ShardWriter(
      Path dir, FileSystem fs, Configuration conf, String namePrefix, ShardSpec spec) {
    this.dir = dir;
    this.fs = fs;
    this.conf = conf;
    this.namePrefix = namePrefix;
    this.spec = spec;
    this.sampleSize = spec.sampleSize();
  }

  /** A writer for shards under {@code dirUri} (created if needed). */
  public static ShardWriter create(
      String dirUri, String namePrefix, ShardSpec spec, Configuration conf) {
    if (namePrefix.isEmpty() || namePrefix.contains("/") || namePrefix.startsWith(".")) {
      throw new IllegalArgumentException("bad shard name prefix '" + namePrefix + "'");
    }
    Path dir = FileSystemUris.toPath(dirUri);
    FileSystem fs = FileSystemUris.fileSystem(dir, conf);
    try {
      fs.mkdirs(dir);
    } catch (IOException e) {
      throw new InvalidInputException(dir + ": cannot create the directory: " + e.getMessage(), e);
    }
    return new ShardWriter(dir, fs, conf, namePrefix, spec);
  }

  public ShardSpec spec() {
    return spec;
  }

  /** Adds one latent (C·H·W floats, C-order) with its pre-encoded flip (or null) and label. */
  public void add(float[] latent, float[] latentFlipOrNull, int label) {
    if (spec.kind() != DatasetKind.LATENTS) {
      throw new IllegalStateException("this is a moments dataset: use addMoments");
    }
    if (spec.withFlips() != (latentFlipOrNull != null)) {
      throw new IllegalArgumentException(spec.withFlips()
          ? "this dataset stores flips: pass latentFlip" : "this dataset stores no flips");
    }
    append(latent, latentFlipOrNull, label);
  }

  /** Adds one posterior (mean and std, C·H·W floats each) with its label. */
  public void addMoments(float[] mean, float[] std, int label) {
    if (spec.kind() != DatasetKind.MOMENTS) {
      throw new IllegalStateException("this is a latents dataset: use add");
    }
    append(mean, std, label);
  }

  private void append(float[] a, float[] b, int label) {
    if (finished) {
      throw new IllegalStateException("finish() was already called");
    }
    checkLength(a);
    if (b != null) {
      checkLength(b);
    }
    if (label < 0 || label >= spec.numClasses()) {
      throw new InvalidInputException(
          "label " + label + " is outside [0, " + spec.numClasses() + ")");
    }
    if (first == null || count == labels.length) {
      grow(b != null);
    }
    store(first, a);
    if (b != null) {
      store(second, b);
    }
    labels[count++] = label;
    if (count == spec.samplesPerShard()) {
      flush();
    }
  }

  /**
   * Makes room for more samples: buffers start small and double up to a full shard, so a small
   * dataset (or the last shard) does not hold a whole shard's worth of memory.
   */
  private void grow(boolean withSecond) {
    int capacity = first == null ? Math.min(spec.samplesPerShard(), 256)
        : (int) Math.min(spec.samplesPerShard(), 2L * labels.length);
    long bytes = (long) capacity * sampleSize * spec.storedDType().byteSize();
    if (bytes > Integer.MAX_VALUE - 64) {
      throw new IllegalArgumentException(
          "shards of " + spec.samplesPerShard() + " samples exceed 2 GiB per tensor; use smaller "
              + "shards");
    }
    first = copyInto(first, (int) bytes);
    second = withSecond ? copyInto(second, (int) bytes) : null;
    labels = labels == null ? new long[capacity] : java.util.Arrays.copyOf(labels, capacity);
  }

  private static ByteBuffer copyInto(ByteBuffer old, int bytes) {
    ByteBuffer b = ByteBuffer.allocate(bytes).order(ByteOrder.LITTLE_ENDIAN);
    if (old != null) {
      old.flip();
      b.put(old);
    }
    return b;
  }

  private void checkLength(float[] v) {
    if (v.length != sampleSize) {
      throw new IllegalArgumentException("expected " + spec.channels() + "x" + spec.height() + "x"
          + spec.width() + " = " + sampleSize + " values, got " + v.length);
    }
  }

  private void store(ByteBuffer dst, float[] v) {
    switch (spec.storedDType()) {
      case F32 -> {
        for (float x : v) {
          dst.putFloat(x);
        }
      }
      case F16 -> {
        for (float x : v) {
          dst.putShort(HalfPrecision.floatToF16(x));
        }
      }
      case BF16 -> {
        for (float x : v) {
          dst.putShort(HalfPrecision.floatToBf16(x));
        }
      }
      default -> throw new IllegalStateException(spec.storedDType().toString());
    }
  }

  /** Writes the pending partial shard and returns every shard this writer wrote, in order. */
  public List<ShardEntry> finish() {
    if (!finished) {
      if (count > 0) {
        flush();
      }
      finished = true;
      first = null;
      second = null;
      labels = null;
    }
    return List.copyOf(written);
  }

  /** Samples added so far. */
  public long count() {
    long n = count;
    for (ShardEntry e : written) {
      n += e.count();
    }
    return n;
  }

  private void flush() {
    long[] shape = {count, spec.channels(), spec.height(), spec.width()};
    int bytes = count * sampleSize * spec.storedDType().byteSize();
    SafetensorsWriter w = new SafetensorsWriter();
    if (spec.kind() == DatasetKind.LATENTS) {
      w.add("latents", new HostTensor(spec.storedDType(), shape, first.slice(0, bytes)));
      if (second != null) {
        w.add("latents_flip", new HostTensor(spec.storedDType(), shape, second.slice(0, bytes)));
      }
    } else {
      w.add("moments_mean", new HostTensor(spec.storedDType(), shape, first.slice(0, bytes)));
      w.add("moments_std", new HostTensor(spec.storedDType(), shape, second.slice(0, bytes)));
    }
    long[] used = java.util.Arrays.copyOf(labels, count);
    w.add("labels", HostTensor.ofLongs(new long[] {count}, used));
    w.metadata("igspark_format_version", Integer.toString(DatasetManifest.FORMAT_VERSION));

    String name = String.format("%s-%05d.safetensors", namePrefix, written.size());
    Path target = new Path(dir, name);
    Path tmp = new Path(dir, "." + name + "." + UUID.randomUUID() + ".tmp");
    MessageDigest sha = Sha256.newDigest();
    long size;
    try {
      try (OutputStream out = new DigestOutputStream(
          new BufferedOutputStream(fs.create(tmp, true), 1 << 20), sha)) {
        size = w.write(out);
      }
      // a retried task replaces its earlier attempt's shard
      FileSystemUris.replace(fs, fs.makeQualified(tmp), fs.makeQualified(target), conf);
    } catch (IOException e) {
      throw new InvalidInputException(target + ": cannot write the shard: " + e.getMessage(), e);
    }
    written.add(new ShardEntry(name, count, Sha256.hex(sha), size));
    first.clear();
    if (second != null) {
      second.clear();
    }
    count = 0;
  }
}
