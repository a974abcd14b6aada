package ai.igspark.data.ingest;

import ai.igspark.data.InvalidInputException;
import ai.igspark.data.format.DatasetKind;
import ai.igspark.data.format.DatasetManifest;
import ai.igspark.data.format.DatasetWriter;
import ai.igspark.data.format.Normalization;
import ai.igspark.data.format.ShardSpec;
import ai.igspark.tensorfile.DType;
import ai.igspark.tensorfile.HostTensor;
import ai.igspark.tensorfile.SafetensorsFile;
import ai.igspark.tensorfile.TorchCheckpoint;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;

/**
 * Imports latents extracted by LightningDiT ({@code extract_features.py}): a directory of
 * safetensors shards with {@code latents} [N,C,H,W], {@code latents_flip} [N,C,H,W] and {@code
 * labels} [N], read in file-name order as {@code ImgLatentDataset} does, plus {@code
 * latents_stats.pt} = {@code torch.save({'mean': [1,C,1,1], 'std': [1,C,1,1]})}. The result
 * keeps the stored flips and records per-channel normalisation {@code (z − mean_c) / std_c}
 * (docs/METHOD.md §2.6).
 */
public final class LightningDitImport {
  public static final String STATS_FILE = "latents_stats.pt";

  /**
   * @param sourceDir the directory holding the shards and latents_stats.pt
   * @param statsFile latents_stats.pt, or null for the one in {@code sourceDir}
   * @param outputUri dataset directory to write (local path or Hadoop URI)
   * @param numClasses 0: one more than the largest label
   * @param storedDType null: the shards' own dtype
   * @param vaeName recorded in the manifest
   */
  public record Options(
      Path sourceDir,
      Path statsFile,
      String outputUri,
      int numClasses,
      DType storedDType,
      String vaeName,
      boolean force) {}

  private LightningDitImport() {}

  /** Shard layout found by the first pass, before anything is written. */
  private record Layout(List<Path> shards, long[] latentShape, DType dtype, boolean flips,
      long count, long maxLabel) {}

  public static DatasetManifest run(Options o, Configuration conf, Progress progress) {
    Layout layout = scan(o.sourceDir());
    Path statsFile = o.statsFile() != null ? o.statsFile() : o.sourceDir().resolve(STATS_FILE);
    Normalization norm = readStats(statsFile, (int) layout.latentShape()[0]);
    int numClasses = o.numClasses() > 0 ? o.numClasses() : (int) layout.maxLabel() + 1;
    if (layout.maxLabel() >= numClasses) {
      throw new InvalidInputException(
          o.sourceDir() + ": labels go up to " + layout.maxLabel() + " but --num-classes is "
              + numClasses);
    }
    int c = (int) layout.latentShape()[0];
    int h = (int) layout.latentShape()[1];
    int w = (int) layout.latentShape()[2];
    DType stored = o.storedDType() != null ? o.storedDType() : layout.dtype();
    OutputDataset.clear(o.outputUri(), o.force(), conf);
    DatasetWriter writer =
        DatasetWriter.to(o.outputUri())
            .latentShape(c, h, w)
            .storedDType(stored)
            .numClasses(numClasses)
            .kind(DatasetKind.LATENTS)
            .withFlips(layout.flips())
            .normalization(norm)
            .vae(o.vaeName())
            .source("LightningDiT latents " + o.sourceDir())
            .samplesPerShard(
                (int) Math.min(layout.count(),
                    ShardSpec.samplesFor(256L << 20, c, h, w, stored, DatasetKind.LATENTS,
                        layout.flips())))
            .hadoopConf(conf)
            .build();
    int size = c * h * w;
    progress.begin("importing " + layout.count() + " LightningDiT latents", layout.count());
    for (Path shard : layout.shards()) {
      try (SafetensorsFile f = SafetensorsFile.open(shard)) {
        float[] z = f.read("latents").toFloats();
        float[] zf = layout.flips() ? f.read("latents_flip").toFloats() : null;
        long[] labels = f.read("labels").toLongs();
        for (int i = 0; i < labels.length; i++) {
          writer.add(
              Arrays.copyOfRange(z, i * size, (i + 1) * size),
              zf == null ? null : Arrays.copyOfRange(zf, i * size, (i + 1) * size),
              (int) labels[i]);
        }
        progress.advance(labels.length);
      }
    }
    DatasetManifest m = writer.commit();
    progress.end();
    return m;
  }

  /** Checks every shard's tensors (names, shapes, dtypes, labels) before anything is written. */
  private static Layout scan(Path dir) {
    if (!Files.isDirectory(dir)) {
      throw new InvalidInputException(
          dir + ": LightningDiT latent directory does not exist (expected *.safetensors shards "
              + "and " + STATS_FILE + ")");
    }
    List<Path> shards;
    try (Stream<Path> s = Files.list(dir)) {
      shards = s.filter(p -> p.getFileName().toString().endsWith(".safetensors")).sorted()
          .toList();
    } catch (IOException e) {
      throw new InvalidInputException(dir + ": cannot list: " + e.getMessage(), e);
    }
    if (shards.isEmpty()) {
      throw new InvalidInputException(dir + ": no *.safetensors shards");
    }
    long[] shape = null;
    DType dtype = null;
    Boolean flips = null;
    long count = 0;
    long maxLabel = -1;
    for (Path shard : shards) {
      try (SafetensorsFile f = SafetensorsFile.open(shard)) {
        for (String name : List.of("latents", "labels")) {
          if (!f.has(name)) {
            throw new InvalidInputException(
                shard + ": no '" + name + "' tensor (a LightningDiT shard holds latents, "
                    + "latents_flip and labels; this one holds " + f.names() + ")");
          }
        }
        SafetensorsFile.TensorInfo lat = f.info("latents");
        long[] s = lat.shape();
        if (s.length != 4) {
          throw new InvalidInputException(
              shard + ": 'latents' has shape " + Arrays.toString(s) + ", expected [N, C, H, W]");
        }
        long[] one = Arrays.copyOfRange(s, 1, 4);
        if (shape == null) {
          shape = one;
          dtype = lat.dtype();
          flips = f.has("latents_flip");
        } else if (!Arrays.equals(shape, one)) {
          throw new InvalidInputException(
              shard + ": latents are " + Arrays.toString(one) + " but " + shards.get(0)
                  + " has " + Arrays.toString(shape));
        }
        if (!lat.dtype().isFloatingPoint()) {
          throw new InvalidInputException(shard + ": 'latents' is " + lat.dtype()
              + ", expected a floating-point tensor");
        }
        if (f.has("latents_flip") != flips) {
          throw new InvalidInputException(
              shard + (flips ? ": no 'latents_flip' tensor, but " : ": has 'latents_flip', but "
                  + "not ") + shards.get(0) + " has one");
        }
        if (flips && !Arrays.equals(f.info("latents_flip").shape(), s)) {
          throw new InvalidInputException(
              shard + ": 'latents_flip' has shape " + Arrays.toString(f.info("latents_flip")
                  .shape()) + " but 'latents' has " + Arrays.toString(s));
        }
        HostTensor labels = f.read("labels");
        if (labels.dtype().isFloatingPoint() || labels.shape().length != 1
            || labels.shape()[0] != s[0]) {
          throw new InvalidInputException(
              shard + ": 'labels' is " + labels + ", expected " + s[0] + " integers");
        }
        for (long l : labels.toLongs()) {
          if (l < 0) {
            throw new InvalidInputException(shard + ": negative label " + l);
          }
          maxLabel = Math.max(maxLabel, l);
        }
        count += s[0];
      }
    }
    if (dtype == DType.F64) {
      dtype = DType.F32;
    }
    return new Layout(shards, shape, dtype, flips, count, maxLabel);
  }

  /** mean and std of shape [1,C,1,1] (or [C]) from latents_stats.pt → per-channel form. */
  static Normalization readStats(Path file, int channels) {
    if (!Files.isRegularFile(file)) {
      throw new InvalidInputException(
          file + ": not found; LightningDiT's latents_stats.pt (torch.save of {'mean', 'std'}, "
              + "shape [1, C, 1, 1]) is needed for the per-channel normalisation");
    }
    Map<String, HostTensor> stats = TorchCheckpoint.read(file).stateDict();
    float[][] values = new float[2][];
    String[] keys = {"mean", "std"};
    for (int k = 0; k < 2; k++) {
      HostTensor t = stats.get(keys[k]);
      if (t == null) {
        throw new InvalidInputException(
            file + ": no '" + keys[k] + "' entry (it has " + stats.keySet() + ")");
      }
      if (t.numel() != channels) {
        throw new InvalidInputException(
            file + ": '" + keys[k] + "' has shape " + Arrays.toString(t.shape())
                + ", expected [1, " + channels + ", 1, 1] for " + channels + "-channel latents");
      }
      values[k] = t.toFloats();
    }
    for (int ch = 0; ch < channels; ch++) {
      if (!(values[1][ch] > 0) || !Float.isFinite(values[1][ch])
          || !Float.isFinite(values[0][ch])) {
        throw new InvalidInputException(
            file + ": channel " + ch + " has mean " + values[0][ch] + " and std "
                + values[1][ch] + "; std must be positive and both finite");
      }
    }
    return Normalization.perChannel(values[0], values[1]);
  }
}
