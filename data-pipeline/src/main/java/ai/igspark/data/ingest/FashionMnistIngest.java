package ai.igspark.data.ingest;

import ai.igspark.data.InvalidInputException;
import ai.igspark.data.format.DatasetKind;
import ai.igspark.data.format.DatasetManifest;
import ai.igspark.data.format.DatasetPreflight;
import ai.igspark.data.format.DatasetWriter;
import ai.igspark.data.format.Normalization;
import ai.igspark.tensorfile.DType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.conf.Configuration;

/**
 * Fashion-MNIST (the demo, docs/ARCHITECTURE.md §2): IDX files → two pixel "latent" datasets, train
 * and test. Each 28×28 image is padded to 32×32 with the background value and mapped to [-1, 1] by
 * {@code x / 127.5 − 1}; one channel, labels 0–9, identity normalisation, no VAE.
 *
 * <p>Stored as F16: the 256 grey levels map to 256 distinct halves that round back to the same
 * byte (the F16 error, at most 2.4e-4, is 1/32 of a grey step 7.8e-3), so nothing is lost while
 * the files and every epoch's reads are half the size of F32.
 */
public final class FashionMnistIngest {
  public static final Path DEBIAN_DIR = Path.of("/usr/share/datasets/fashion-mnist");
  public static final String DEBIAN_PACKAGE = "dataset-fashion-mnist";
  public static final int SIZE = 32;
  public static final int NUM_CLASSES = 10;
  public static final String[] CLASS_NAMES = {
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"
  };

  /** Split name (as in the IDX file names) and the dataset directory name it becomes. */
  public record Split(String filePrefix, String datasetName) {}

  public static final List<Split> SPLITS =
      List.of(new Split("train", "fashion-mnist-train"), new Split("t10k", "fashion-mnist-test"));

  /** One split's outcome: its manifest, or null when an existing dataset was kept. */
  public record SplitResult(Split split, String dirUri, DatasetManifest manifest, long nanos) {
    public boolean kept() {
      return manifest == null;
    }
  }

  private final Path sourceDir;
  private final String outputUri;
  private final boolean force;
  private final Configuration conf;
  private final Progress progress;

  /**
   * @param sourceDir directory with the {train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz] files,
   *     or null for Debian's package (installed on demand when allowed)
   * @param outputUri directory (local path or Hadoop URI) that receives the two datasets
   */
  public FashionMnistIngest(
      Path sourceDir, String outputUri, boolean force, Configuration conf, Progress progress) {
    this.sourceDir = sourceDir;
    this.outputUri = outputUri;
    this.force = force;
    this.conf = conf;
    this.progress = progress;
  }

  public List<SplitResult> run() {
    String out = outputUri.endsWith("/") ? outputUri : outputUri + "/";
    List<SplitResult> results = new ArrayList<>();
    List<Split> todo = new ArrayList<>();
    for (Split s : SPLITS) {
      if (!force && OutputDataset.isCommitted(out + s.datasetName(), conf)) {
        requireIntact(s, out + s.datasetName());
        results.add(new SplitResult(s, out + s.datasetName(), null, 0));
      } else {
        todo.add(s);
      }
    }
    if (todo.isEmpty()) {
      return results;
    }
    Path dir = sourceDir;
    if (dir == null) {
      DebianPackage.ensure(
          DEBIAN_PACKAGE, DEBIAN_DIR.resolve("train-images-idx3-ubyte.gz"), progress);
      dir = DEBIAN_DIR;
    } else if (!Files.isDirectory(dir)) {
      throw new InvalidInputException(
          dir + ": Fashion-MNIST source directory does not exist (expected the IDX files "
              + "train-images-idx3-ubyte.gz etc. in it)");
    }
    for (Split s : todo) {
      long t0 = System.nanoTime();
      DatasetManifest m = prepare(dir, s, out + s.datasetName());
      results.add(new SplitResult(s, out + s.datasetName(), m, System.nanoTime() - t0));
    }
    results.sort((a, b) -> SPLITS.indexOf(a.split()) - SPLITS.indexOf(b.split()));
    return results;
  }

  /**
   * A dataset kept instead of prepared must be this split of Fashion-MNIST and whole: its manifest
   * reads, it says so (source, shape, classes, count), and every shard verifies (size, SHA-256,
   * headers, labels). Anything else is refused, never reported as prepared.
   */
  private void requireIntact(Split split, String dirUri) {
    DatasetManifest m;
    try {
      m = DatasetManifest.read(dirUri, conf);
      DatasetPreflight.verify(dirUri, m, conf);
    } catch (InvalidInputException e) {
      throw keptRefused(dirUri, "is damaged (" + e.getMessage() + ")");
    }
    Long expectedCount = sourceCount(split);
    boolean same = m.source() != null && m.source().startsWith("fashion-mnist " + split.filePrefix())
        && m.latentShape().equals(List.of(1, SIZE, SIZE)) && m.numClasses() == NUM_CLASSES
        && (expectedCount == null || m.count() == expectedCount);
    if (!same) {
      throw keptRefused(dirUri, "is not Fashion-MNIST " + split.filePrefix() + " (source '"
          + m.source() + "', shape " + m.latentShape() + ", " + m.numClasses() + " classes, "
          + m.count() + " samples" + (expectedCount == null ? "" : ", expected " + expectedCount)
          + ")");
    }
  }

  /** Samples in this split's source labels file, or null when the source is not at hand. */
  private Long sourceCount(Split split) {
    Path dir = sourceDir != null ? sourceDir : DEBIAN_DIR;
    try {
      return (long) IdxReader.readLabels(idxFile(dir, split.filePrefix() + "-labels-idx1-ubyte"))
          .count();
    } catch (InvalidInputException e) {
      return null;
    }
  }

  private static InvalidInputException keptRefused(String dirUri, String why) {
    return new InvalidInputException(
        dirUri + ": already holds a dataset, which " + why + "; pass --force to replace it");
  }

  private DatasetManifest prepare(Path dir, Split split, String dirUri) {
    Path imagesFile = idxFile(dir, split.filePrefix() + "-images-idx3-ubyte");
    Path labelsFile = idxFile(dir, split.filePrefix() + "-labels-idx1-ubyte");
    IdxReader.IdxArray images = IdxReader.readImages(imagesFile);
    IdxReader.IdxArray labels = IdxReader.readLabels(labelsFile);
    if (images.dims()[1] != 28 || images.dims()[2] != 28) {
      throw new InvalidInputException(
          imagesFile + ": images are " + images.dims()[1] + "x" + images.dims()[2]
              + ", expected 28x28 (Fashion-MNIST)");
    }
    if (images.count() != labels.count()) {
      throw new InvalidInputException(
          labelsFile + " holds " + labels.count() + " labels but " + imagesFile + " holds "
              + images.count() + " images");
    }
    OutputDataset.clear(dirUri, true, conf);
    DatasetWriter writer =
        DatasetWriter.to(dirUri)
            .latentShape(1, SIZE, SIZE)
            .storedDType(DType.F16)
            .numClasses(NUM_CLASSES)
            .kind(DatasetKind.LATENTS)
            .withFlips(false)
            .normalization(Normalization.identity())
            .source("fashion-mnist " + split.filePrefix() + " (" + imagesFile + ")")
            .hadoopConf(conf)
            // one shard per split (123 MB for train): the writer buffers a whole shard
            .samplesPerShard(Math.max(1, images.count()))
            .build();
    progress.begin(split.datasetName(), images.count());
    float[] pixels = new float[SIZE * SIZE];
    byte[] raw = images.data();
    for (int i = 0; i < images.count(); i++) {
      int label = labels.data()[i] & 0xff;
      if (label >= NUM_CLASSES) {
        throw new InvalidInputException(
            labelsFile + ": label " + label + " at index " + i + " is not in 0..9");
      }
      padAndScale(raw, i * 28 * 28, pixels);
      writer.add(pixels, null, label);
      if ((i + 1) % 1000 == 0 || i + 1 == images.count()) {
        progress.advance((i % 1000) + 1);
      }
    }
    DatasetManifest m = writer.commit();
    progress.end();
    return m;
  }

  /**
   * 28×28 bytes → 32×32 floats in [-1, 1]; the 2-pixel border is −1 (grey level 0, the
   * background of Fashion-MNIST), so padding adds no edge.
   */
  static void padAndScale(byte[] raw, int offset, float[] out) {
    java.util.Arrays.fill(out, -1f);
    for (int y = 0; y < 28; y++) {
      for (int x = 0; x < 28; x++) {
        out[(y + 2) * SIZE + x + 2] = (raw[offset + y * 28 + x] & 0xff) / 127.5f - 1f;
      }
    }
  }

  private static Path idxFile(Path dir, String base) {
    for (String name : new String[] {base + ".gz", base}) {
      if (Files.isRegularFile(dir.resolve(name))) {
        return dir.resolve(name);
      }
    }
    throw new InvalidInputException(
        dir.resolve(base + ".gz") + ": missing (neither " + base + ".gz nor " + base + " is in "
            + dir + ")");
  }
}
