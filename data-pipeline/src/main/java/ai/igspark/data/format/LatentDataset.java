package ai.igspark.data.format;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.igspark.data.InvalidInputException;
import ai.igspark.data.sampling.BatchSlice;
import ai.igspark.data.sampling.FlipMode;
import ai.igspark.data.sampling.SampleNoise;
import ai.igspark.tensor.DeviceTransfer;
import ai.igspark.tensorfile.DType;
import ai.igspark.tensorfile.HalfPrecision;
import ai.igspark.tensorfile.SafetensorsFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.ShortBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;

/**
 * A committed latent dataset opened for random access (docs/ARCHITECTURE.md §2). Shards are fetched
 * into the {@link LocalShardCache} (sha256 verified) the first time a sample in them is read,
 * memory-mapped, and checked against the manifest (tensor names, shapes, dtype, labels in
 * [0, num_classes)). {@link #gather} copies rows straight from the mapped bytes into one float
 * array per batch; nothing is boxed and no Spark shuffle is involved.
 *
 * <p>What a gathered sample is, per dataset kind and {@link SampleNoise}:
 *
 * <ul>
 *   <li>latents: the stored latent; with {@link FlipMode#STORED} the stored {@code latents_flip}
 *       instead when the sample's coin (p = 0.5) says so;
 *   <li>moments: {@code mean + std·ε}, ε ~ N(0, I) keyed by (seed, epoch, index), or the mean
 *       when {@link SampleNoise#samplePosterior()} is false;
 *   <li>{@link FlipMode#MIRROR}: the array mirrored along W when the coin says so (for pixel
 *       data);
 *   <li>then the manifest's normalisation: {@code z·scale + bias} or {@code (z − mean_c)/std_c}.
 * </ul>
 *
 * <p>Thread-safe: shards open lazily under a lock; gathers allocate their own buffers.
 */
public final class LatentDataset implements AutoCloseable {
  private static final float[] F16_TABLE = new float[1 << 16];

  static {
    for (int i = 0; i < F16_TABLE.length; i++) {
      F16_TABLE[i] = HalfPrecision.f16ToFloat((short) i);
    }
  }

  private final org.apache.hadoop.fs.Path manifestPath;
  private final DatasetManifest manifest;
  private final Configuration conf;
  private final LocalShardCache cache;
  private final long[] starts; // first sample index of each shard, plus the total at the end
  private final Shard[] shards;
  private final int sampleSize;
  private final float[] multiplier; // x = z·a_c + b_c per channel
  private final float[] offset;

  private LatentDataset(org.apache.hadoop.fs.Path manifestPath, DatasetManifest manifest,
      Configuration conf, LocalShardCache cache) {
    this.manifestPath = manifestPath;
    this.manifest = manifest;
    this.conf = conf;
    this.cache = cache;
    List<ShardEntry> entries = manifest.shards();
    this.starts = new long[entries.size() + 1];
    for (int i = 0; i < entries.size(); i++) {
      starts[i + 1] = starts[i] + entries.get(i).count();
    }
    this.shards = new Shard[entries.size()];
    this.sampleSize = manifest.sampleSize();
    this.multiplier = new float[manifest.channels()];
    this.offset = new float[manifest.channels()];
    for (int c = 0; c < multiplier.length; c++) {
      multiplier[c] = manifest.normalization().multiplier(c);
      offset[c] = manifest.normalization().offset(c);
    }
  }

  /** Opens a dataset from its directory or dataset.json URI (any Hadoop file system). */
  public static LatentDataset open(String manifestUri, Configuration conf, LocalShardCache cache) {
    org.apache.hadoop.fs.Path path = DatasetManifest.manifestPath(manifestUri);
    DatasetManifest m = DatasetManifest.read(path.toString(), conf);
    return new LatentDataset(path, m, conf, cache);
  }

  public DatasetManifest manifest() {
    return manifest;
  }

  public long size() {
    return manifest.count();
  }

  /** Fetches, maps and checks every shard, and scans all values (finite) and labels. */
  public void verify() {
    for (int s = 0; s < shards.length; s++) {
      Shard shard = shard(s);
      shard.checkFinite();
    }
  }

  /** The label of one sample. */
  public long label(long index) {
    int s = shardOf(index);
    return shard(s).labels[(int) (index - starts[s])];
  }

  /** Gathers samples into DJL arrays owned by {@code manager}. */
  public LatentBatch gather(long[] sampleIndices, SampleNoise noise, NDManager manager) {
    int b = sampleIndices.length;
    Gatherer g = new Gatherer(noise, b);
    // Samples are built in a small (cache-resident) row. On CPU they are copied once, straight
    // into the memory of an uninitialised libtorch tensor; on a device the batch is assembled in
    // host memory and uploaded in one copy (DeviceTransfer: a host view of a device tensor is a
    // copy, so writing into it would leave the batch uninitialised).
    Shape shape = new Shape(b, manifest.channels(), manifest.height(), manifest.width());
    float[] row = new float[sampleSize];
    long[] y = new long[b];
    NDArray x;
    if (DeviceTransfer.sharesHostMemory(manager)) {
      x = manager.create(shape, DataType.FLOAT32);
      FloatBuffer xs = x.toByteBuffer(true).order(ByteOrder.nativeOrder()).asFloatBuffer();
      for (int i = 0; i < b; i++) {
        y[i] = g.sample(i, sampleIndices[i], row, 0);
        xs.put(i * sampleSize, row);
      }
    } else {
      float[] all = new float[Math.multiplyExact(b, sampleSize)];
      for (int i = 0; i < b; i++) {
        y[i] = g.sample(i, sampleIndices[i], all, i * sampleSize);
      }
      x = DeviceTransfer.upload(manager, all, shape);
    }
    return new LatentBatch(x, manager.create(y, new Shape(b)));
  }

  /** Gathers one rank's training slice: flips and posterior noise keyed by (seed, epoch, index). */
  public LatentBatch gather(BatchSlice slice, long seed, FlipMode flip, NDManager manager) {
    return gather(slice.sampleIndices(), SampleNoise.training(seed, slice, flip), manager);
  }

  /**
   * The same as {@link #gather} into Java arrays: {@code x} holds B·C·H·W floats, {@code y} B
   * labels.
   */
  public void gatherInto(long[] sampleIndices, SampleNoise noise, float[] x, long[] y) {
    int b = sampleIndices.length;
    if (x.length < (long) b * sampleSize || y.length < b) {
      throw new IllegalArgumentException("output arrays are too small for " + b + " samples");
    }
    Gatherer g = new Gatherer(noise, b);
    for (int i = 0; i < b; i++) {
      y[i] = g.sample(i, sampleIndices[i], x, i * sampleSize);
    }
  }

  /** One batch's settings and scratch space. */
  private final class Gatherer {
    final SampleNoise noise;
    final short[] halfScratch;
    final float[] std; // posterior std row, when moments are sampled
    final float[] eps;

    Gatherer(SampleNoise noise, int batch) {
      if (noise.epochs() != null && noise.epochs().length != batch) {
        throw new IllegalArgumentException(
            "noise has " + noise.epochs().length + " epochs for " + batch + " samples");
      }
      if (noise.flip() == FlipMode.STORED && !manifest.hasFlip()) {
        throw new InvalidInputException(manifestPath + ": stored flips were requested but the "
            + "dataset has no latents_flip (has_flip is false); use flip mode none or mirror");
      }
      this.noise = noise;
      this.halfScratch = manifest.storedDType() == DType.F32 ? null : new short[sampleSize];
      boolean moments = manifest.kind() == DatasetKind.MOMENTS;
      this.std = moments && noise.samplePosterior() ? new float[sampleSize] : null;
      this.eps = std == null ? null : new float[sampleSize];
    }

    /** Writes sample i (dataset index {@code index}) at {@code x[off]}; returns its label. */
    long sample(int i, long index, float[] x, int off) {
      int s = shardOf(index);
      Shard shard = shard(s);
      int row = (int) (index - starts[s]);
      boolean flipped = noise.flipped(i, index);
      Object first = flipped && noise.flip() == FlipMode.STORED ? shard.second : shard.first;
      if (std == null) {
        decodeNormalized(first, row, x, off, halfScratch);
      } else {
        decode(first, row, x, off, halfScratch);
        decode(shard.second, row, std, 0, halfScratch);
        noise.posteriorNoise(i, index, eps, 0, sampleSize);
        for (int k = 0; k < sampleSize; k++) {
          x[off + k] += std[k] * eps[k]; // z = mean + std·ε (docs/METHOD.md §2.6)
        }
        normalize(x, off);
      }
      if (flipped && noise.flip() == FlipMode.MIRROR) {
        mirror(x, off); // commutes with the per-channel normalisation
      }
      return shard.labels[row];
    }
  }

  private void decode(Object src, int row, float[] dst, int off, short[] scratch) {
    int from = row * sampleSize;
    switch (manifest.storedDType()) {
      case F32 -> ((FloatBuffer) src).get(from, dst, off, sampleSize);
      case F16 -> {
        ((ShortBuffer) src).get(from, scratch, 0, sampleSize);
        for (int k = 0; k < sampleSize; k++) {
          dst[off + k] = F16_TABLE[scratch[k] & 0xffff];
        }
      }
      case BF16 -> {
        ((ShortBuffer) src).get(from, scratch, 0, sampleSize);
        for (int k = 0; k < sampleSize; k++) {
          dst[off + k] = Float.intBitsToFloat(scratch[k] << 16);
        }
      }
      default -> throw new IllegalStateException(manifest.storedDType().toString());
    }
  }

  /** {@link #decode} and {@link #normalize} in one pass over the row (the hot path). */
  private void decodeNormalized(Object src, int row, float[] dst, int off, short[] scratch) {
    if (manifest.storedDType() == DType.F32) {
      decode(src, row, dst, off, scratch);
      normalize(dst, off);
      return;
    }
    ((ShortBuffer) src).get(row * sampleSize, scratch, 0, sampleSize);
    int plane = manifest.height() * manifest.width();
    boolean f16 = manifest.storedDType() == DType.F16;
    for (int c = 0; c < multiplier.length; c++) {
      float a = multiplier[c];
      float b = offset[c];
      int from = c * plane;
      int to = off + from;
      if (f16) {
        for (int k = 0; k < plane; k++) {
          dst[to + k] = F16_TABLE[scratch[from + k] & 0xffff] * a + b;
        }
      } else {
        for (int k = 0; k < plane; k++) {
          dst[to + k] = Float.intBitsToFloat(scratch[from + k] << 16) * a + b;
        }
      }
    }
  }

  private void mirror(float[] x, int off) {
    int w = manifest.width();
    for (int row = off; row < off + sampleSize; row += w) {
      for (int a = row, z = row + w - 1; a < z; a++, z--) {
        float t = x[a];
        x[a] = x[z];
        x[z] = t;
      }
    }
  }

  private void normalize(float[] x, int off) {
    int plane = manifest.height() * manifest.width();
    for (int c = 0; c < multiplier.length; c++) {
      float a = multiplier[c];
      float bias = offset[c];
      int from = off + c * plane;
      for (int k = from; k < from + plane; k++) {
        x[k] = x[k] * a + bias;
      }
    }
  }

  private int shardOf(long index) {
    if (index < 0 || index >= manifest.count()) {
      throw new IndexOutOfBoundsException(
          "sample " + index + " outside [0, " + manifest.count() + ")");
    }
    int s = Arrays.binarySearch(starts, index);
    return s >= 0 ? s : -s - 2;
  }

  private Shard shard(int s) {
    Shard shard = shards[s];
    if (shard != null) {
      return shard;
    }
    synchronized (this) {
      if (shards[s] == null) {
        ShardEntry entry = manifest.shards().get(s);
        org.apache.hadoop.fs.Path remote =
            new org.apache.hadoop.fs.Path(manifestPath.getParent(), entry.path());
        Path local = cache.fetch(remote, entry, conf);
        shards[s] = new Shard(SafetensorsFile.open(local), remote.toString(), entry);
      }
      return shards[s];
    }
  }

  @Override
  public synchronized void close() {
    for (int s = 0; s < shards.length; s++) {
      if (shards[s] != null) {
        shards[s].file.close();
        shards[s] = null;
      }
    }
  }

  /** One opened shard: typed views of the mapped tensors, and its labels. */
  private final class Shard {
    final SafetensorsFile file;
    final String name;
    final Object first; // FloatBuffer or ShortBuffer: latents / moments_mean
    final Object second; // latents_flip / moments_std, or null
    final long[] labels;

    Shard(SafetensorsFile file, String name, ShardEntry entry) {
      this.file = file;
      this.name = name;
      try {
        ShardLayout layout = new ShardLayout(manifest);
        Map<String, SafetensorsFile.TensorInfo> tensors = new LinkedHashMap<>();
        for (String t : file.names()) {
          tensors.put(t, file.info(t));
        }
        layout.checkTensors(name, tensors, entry.count());
        List<String> data = layout.dataTensors();
        first = view(file.bytes(data.get(0)));
        second = data.size() > 1 ? view(file.bytes(data.get(1))) : null;
        labels = file.read(ShardLayout.LABELS).toLongs();
        layout.checkLabels(name, labels);
      } catch (RuntimeException e) {
        file.close();
        throw e;
      }
    }

    private Object view(ByteBuffer b) {
      return manifest.storedDType() == DType.F32 ? b.asFloatBuffer() : b.asShortBuffer();
    }

    void checkFinite() {
      List<Object> views = new ArrayList<>();
      views.add(first);
      if (second != null) {
        views.add(second);
      }
      float[] row = new float[sampleSize];
      short[] scratch = new short[sampleSize];
      for (Object v : views) {
        for (int r = 0; r < labels.length; r++) {
          decode(v, r, row, 0, scratch);
          for (float f : row) {
            if (!Float.isFinite(f)) {
              throw new InvalidInputException(name + ": row " + r + " holds a non-finite value ("
                  + f + ")");
            }
          }
        }
      }
    }
  }
}
