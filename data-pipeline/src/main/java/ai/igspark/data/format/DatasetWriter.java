package ai.igspark.data.format;

import ai.igspark.data.InvalidInputException;
import ai.igspark.tensorfile.DType;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Writes a whole dataset from one process: shards as samples arrive, then the manifest on {@link
 * #commit()}. Spark ingestions use {@link ShardWriter} on executors and {@link
 * DatasetManifest#commit} on the driver instead.
 *
 * <pre>{@code
 * DatasetWriter w = DatasetWriter.to("out/fmnist").latentShape(1, 32, 32)
 *     .storedDType(DType.F32).numClasses(10).kind(DatasetKind.LATENTS)
 *     .normalization(Normalization.identity()).vae("none").source("fashion-mnist").build();
 * w.add(pixels, null, label); ...
 * DatasetManifest m = w.commit();
 * }</pre>
 */
public final class DatasetWriter {
  public static final String SKIPPED_REPORT = "skipped.txt";
  static final long DEFAULT_SHARD_BYTES = 512L << 20;

  private final Builder b;
  private final ShardWriter shards;
  private final List<String> skipped = new ArrayList<>();
  private boolean committed;

  private DatasetWriter(Builder b, ShardWriter shards) {
    this.b = b;
    this.shards = shards;
  }

  public static Builder to(String dirUri) {
    return new Builder(dirUri);
  }

  public void add(float[] latent, float[] latentFlipOrNull, int label) {
    shards.add(latent, latentFlipOrNull, label);
  }

  public void addMoments(float[] mean, float[] std, int label) {
    shards.addMoments(mean, std, label);
  }

  /** Records an input left out (counted in the manifest and listed in skipped.txt). */
  public void skip(String item, String reason) {
    skipped.add(item.replace('\n', ' ') + "\t" + reason.replace('\n', ' '));
  }

  public long count() {
    return shards.count();
  }

  /** Writes the last shard, the skipped report (if any) and, last, dataset.json. */
  public DatasetManifest commit() {
    if (committed) {
      throw new IllegalStateException("already committed");
    }
    List<ShardEntry> entries = shards.finish();
    if (entries.isEmpty()) {
      throw new InvalidInputException(b.dirUri + ": no samples were added; refusing to commit an "
          + "empty dataset" + (skipped.isEmpty() ? "" : " (" + skipped.size() + " skipped)"));
    }
    String report = null;
    if (!skipped.isEmpty()) {
      report = SKIPPED_REPORT;
      Path dir = FileSystemUris.toPath(b.dirUri);
      FileSystem fs = FileSystemUris.fileSystem(dir, b.conf);
      try (OutputStream out = fs.create(new Path(dir, SKIPPED_REPORT), true)) {
        out.write((String.join("\n", skipped) + "\n").getBytes(StandardCharsets.UTF_8));
      } catch (IOException e) {
        throw new InvalidInputException(dir + ": cannot write " + SKIPPED_REPORT + ": "
            + e.getMessage(), e);
      }
    }
    long count = entries.stream().mapToLong(ShardEntry::count).sum();
    ShardSpec s = shards.spec();
    DatasetManifest m = new DatasetManifest(DatasetManifest.FORMAT_VERSION,
        List.of(s.channels(), s.height(), s.width()), s.storedDType(), s.numClasses(), count,
        s.kind(), s.withFlips(), b.labelMode, b.normalization, b.vae, b.source, skipped.size(),
        report, entries);
    DatasetManifest.commit(b.dirUri, m, b.conf);
    committed = true;
    return m;
  }

  /** Settings of a {@link DatasetWriter}; latent shape, num classes and normalization required. */
  public static final class Builder {
    private final String dirUri;
    private int c;
    private int h;
    private int w;
    private DType stored = DType.F32;
    private int numClasses;
    private DatasetKind kind = DatasetKind.LATENTS;
    private boolean withFlips;
    private LabelMode labelMode = LabelMode.CLASS;
    private Normalization normalization;
    private VaeIdentity vae = VaeIdentity.none();
    private String source = "";
    private int samplesPerShard;
    private Configuration conf;

    private Builder(String dirUri) {
      this.dirUri = Objects.requireNonNull(dirUri);
    }

    public Builder latentShape(int channels, int height, int width) {
      this.c = channels;
      this.h = height;
      this.w = width;
      return this;
    }

    public Builder storedDType(DType dtype) {
      this.stored = dtype;
      return this;
    }

    public Builder numClasses(int n) {
      this.numClasses = n;
      return this;
    }

    public Builder kind(DatasetKind kind) {
      this.kind = kind;
      return this;
    }

    public Builder withFlips(boolean withFlips) {
      this.withFlips = withFlips;
      return this;
    }

    /** Default CLASS; NONE requires numClasses(1). */
    public Builder labelMode(LabelMode mode) {
      this.labelMode = mode;
      return this;
    }

    public Builder normalization(Normalization n) {
      this.normalization = n;
      return this;
    }

    public Builder vae(String name) {
      this.vae = VaeIdentity.named(name);
      return this;
    }

    public Builder vae(String name, String encoderSha256) {
      this.vae = new VaeIdentity(name, encoderSha256);
      return this;
    }

    public Builder source(String source) {
      this.source = source;
      return this;
    }

    /** Default: about 512 MB per shard. */
    public Builder samplesPerShard(int n) {
      this.samplesPerShard = n;
      return this;
    }

    public Builder hadoopConf(Configuration conf) {
      this.conf = conf;
      return this;
    }

    public DatasetWriter build() {
      if (normalization == null) {
        throw new IllegalStateException("normalization is required");
      }
      if (labelMode == LabelMode.NONE && numClasses != 1) {
        throw new IllegalStateException("label mode none needs numClasses(1)");
      }
      if (conf == null) {
        conf = new Configuration();
      }
      int perShard = samplesPerShard > 0 ? samplesPerShard
          : ShardSpec.samplesFor(DEFAULT_SHARD_BYTES, c, h, w, stored, kind, withFlips);
      ShardSpec spec = new ShardSpec(c, h, w, stored, kind, withFlips, numClasses, perShard);
      return new DatasetWriter(this, ShardWriter.create(dirUri, "shard", spec, conf));
    }
  }
}
