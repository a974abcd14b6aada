package ai.igspark.data.ingest;

import ai.igspark.data.InvalidInputException;
import ai.igspark.data.format.DatasetKind;
import ai.igspark.data.format.DatasetManifest;
import ai.igspark.data.format.DatasetWriter;
import ai.igspark.data.format.Normalization;
import ai.igspark.data.format.ShardSpec;
import ai.igspark.tensorfile.DType;
import ai.igspark.tensorfile.HostTensor;
import ai.igspark.tensorfile.Npy;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.hadoop.conf.Configuration;

/**
 * Imports SD-VAE posteriors prepared by REPA / EDM2 ({@code preprocessing/dataset_tools.py
 * encode}): a {@code vae-sd/} folder of {@code .npy} files, each [2C, H, W] float32 =
 * {@code cat(mean, std)} on the channel axis (C = 4 mean channels, then 4 std channels, 32×32 for
 * ImageNet 256), with {@code vae-sd/dataset.json} = {@code {"labels": [[relative path, label],
 * ...]}}. Samples are taken in sorted file-name order, as REPA's dataset does. The result is a
 * moments dataset with scale 0.18215: a fresh {@code z = (mean + std·ε)·0.18215} per step
 * (docs/METHOD.md §2.6).
 */
public final class Edm2Import {
  public static final String FEATURES_DIR = "vae-sd";
  public static final String LABELS_FILE = "dataset.json";

  /**
   * @param sourceDir the vae-sd folder, or the folder that contains it
   * @param outputUri dataset directory to write
   * @param numClasses 0: one more than the largest label
   * @param storedDType F32 (as stored upstream) or F16
   * @param vaeName recorded in the manifest
   */
  public record Options(
      Path sourceDir, String outputUri, int numClasses, DType storedDType, String vaeName,
      boolean force) {}

  private Edm2Import() {}

  public static DatasetManifest run(Options o, Configuration conf, Progress progress) {
    Path dir = featuresDir(o.sourceDir());
    Path labelsFile = dir.resolve(LABELS_FILE);
    TreeMap<String, Integer> labels = readLabels(labelsFile);
    // Check every listed file before writing anything: a missing one fails fast, by name.
    for (String rel : labels.keySet()) {
      if (!Files.isRegularFile(dir.resolve(rel))) {
        throw new InvalidInputException(
            labelsFile + ": entry \"" + rel + "\" points to " + dir.resolve(rel)
                + ", which does not exist");
      }
    }
    Npy.Header first = header(dir.resolve(labels.firstKey()));
    long[] shape = first.shape();
    if (shape.length != 3 || shape[0] % 2 != 0) {
      throw new InvalidInputException(
          dir.resolve(labels.firstKey()) + ": shape " + Arrays.toString(shape)
              + ", expected [2C, H, W] (C mean channels, then C std channels)");
    }
    int c = (int) shape[0] / 2;
    int h = (int) shape[1];
    int w = (int) shape[2];
    int maxLabel = labels.values().stream().mapToInt(Integer::intValue).max().orElse(0);
    int numClasses = o.numClasses() > 0 ? o.numClasses() : maxLabel + 1;
    if (maxLabel >= numClasses) {
      throw new InvalidInputException(
          labelsFile + ": labels go up to " + maxLabel + " but --num-classes is " + numClasses);
    }
    OutputDataset.clear(o.outputUri(), o.force(), conf);
    DatasetWriter writer =
        DatasetWriter.to(o.outputUri())
            .latentShape(c, h, w)
            .storedDType(o.storedDType())
            .numClasses(numClasses)
            .kind(DatasetKind.MOMENTS)
            .normalization(Normalization.sdVae())
            .vae(o.vaeName())
            .source("REPA/EDM2 vae-sd " + dir)
            .samplesPerShard(
                Math.min(labels.size(),
                    ShardSpec.samplesFor(256L << 20, c, h, w, o.storedDType(),
                        DatasetKind.MOMENTS, false)))
            .hadoopConf(conf)
            .build();
    int size = c * h * w;
    progress.begin("importing " + labels.size() + " SD-VAE posteriors", labels.size());
    long n = 0;
    for (Map.Entry<String, Integer> e : labels.entrySet()) {
      Path file = dir.resolve(e.getKey());
      HostTensor t = Npy.read(file);
      if (!Arrays.equals(t.shape(), shape) || !t.dtype().isFloatingPoint()) {
        throw new InvalidInputException(
            file + ": " + t + ", expected floats of shape " + Arrays.toString(shape) + " like "
                + dir.resolve(labels.firstKey()));
      }
      float[] moments = t.toFloats();
      writer.addMoments(
          Arrays.copyOfRange(moments, 0, size), Arrays.copyOfRange(moments, size, 2 * size),
          e.getValue());
      if (++n % 256 == 0) {
        progress.advance(256);
      }
    }
    progress.advance(n % 256);
    DatasetManifest m = writer.commit();
    progress.end();
    return m;
  }

  static Path featuresDir(Path source) {
    if (Files.isRegularFile(source.resolve(LABELS_FILE))) {
      return source;
    }
    if (Files.isRegularFile(source.resolve(FEATURES_DIR).resolve(LABELS_FILE))) {
      return source.resolve(FEATURES_DIR);
    }
    throw new InvalidInputException(
        source + ": no " + LABELS_FILE + " here or in " + source.resolve(FEATURES_DIR)
            + " (expected REPA/EDM2's vae-sd folder of .npy posteriors with its dataset.json)");
  }

  /** {"labels": [[path, label], ...]} → path → label, sorted by path as REPA's dataset sorts. */
  static TreeMap<String, Integer> readLabels(Path file) {
    JsonNode root;
    try (InputStream in = Files.newInputStream(file)) {
      root = new ObjectMapper().readTree(in);
    } catch (IOException e) {
      throw new InvalidInputException(file + ": cannot read as JSON: " + e.getMessage(), e);
    }
    JsonNode list = root == null ? null : root.get("labels");
    if (list == null || list.isNull()) {
      throw new InvalidInputException(
          file + ": \"labels\" is missing or null (an unlabelled dataset); igspark trains "
              + "class-conditional models and needs a label for every file");
    }
    if (!list.isArray() || list.isEmpty()) {
      throw new InvalidInputException(file + ": \"labels\" must be a non-empty list of "
          + "[path, label] pairs");
    }
    TreeMap<String, Integer> labels = new TreeMap<>();
    List<String> problems = new ArrayList<>();
    for (int i = 0; i < list.size(); i++) {
      JsonNode e = list.get(i);
      if (!e.isArray() || e.size() != 2 || !e.get(0).isTextual() || !e.get(1).isIntegralNumber()
          || e.get(1).asInt() < 0) {
        problems.add("labels[" + i + "] = " + e);
        continue;
      }
      String rel = e.get(0).asText().replace('\\', '/');
      if (rel.startsWith("/") || rel.contains("..")) {
        problems.add("labels[" + i + "] path " + rel + " leaves the folder");
        continue;
      }
      labels.put(rel, e.get(1).asInt());
    }
    if (!problems.isEmpty()) {
      throw new InvalidInputException(
          file + ": expected [\"relative/path.npy\", label >= 0] entries; bad: "
              + String.join("; ", problems.subList(0, Math.min(3, problems.size())))
              + (problems.size() > 3 ? " (and " + (problems.size() - 3) + " more)" : ""));
    }
    return labels;
  }

  private static Npy.Header header(Path file) {
    try (InputStream in = Files.newInputStream(file)) {
      return Npy.readHeader(in, file.toString());
    } catch (IOException e) {
      throw new InvalidInputException(file + ": cannot read: " + e.getMessage(), e);
    }
  }
}
