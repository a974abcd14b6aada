package ai.igspark.eval.fmnist;

import ai.igspark.data.InvalidInputException;
import ai.igspark.data.Sha256;
import ai.igspark.data.format.DatasetManifest;
import ai.igspark.data.format.LatentDataset;
import ai.igspark.data.format.LocalShardCache;
import ai.igspark.data.sampling.SampleNoise;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Arrays;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * A whole Fashion-MNIST split in memory, as {@code igspark prepare fashion-mnist} stored it:
 * {@code count} images of 1×32×32 floats in [−1, 1] (row-major, N·1024 values) and their labels.
 *
 * @param source names the split in messages
 * @param manifestSha256 SHA-256 of the split's dataset.json (identifies the data a classifier was
 *     trained or tested on); null for images that do not come from a dataset
 */
public record FmnistImages(
    float[] pixels, int[] labels, int count, String source, String manifestSha256) {
  public static final int PIXELS = FmnistCnn.IMAGE_SIZE * FmnistCnn.IMAGE_SIZE;

  public FmnistImages {
    if (pixels.length != (long) count * PIXELS || (labels != null && labels.length != count)) {
      throw new IllegalArgumentException(
          count + " images need " + (long) count * PIXELS + " pixels and as many labels, got "
              + pixels.length + " and " + (labels == null ? "none" : labels.length));
    }
  }

  /** Reads every sample of a dataset directory (or dataset.json URI) written by the ingest. */
  public static FmnistImages load(String datasetUri, Configuration conf) {
    Path manifestPath = DatasetManifest.manifestPath(datasetUri);
    DatasetManifest m = DatasetManifest.read(manifestPath.toString(), conf);
    if (m.channels() != 1 || m.height() != FmnistCnn.IMAGE_SIZE
        || m.width() != FmnistCnn.IMAGE_SIZE || m.numClasses() != FmnistCnn.CLASSES) {
      throw new InvalidInputException(
          manifestPath + ": shape " + m.channels() + "×" + m.height() + "×" + m.width() + " with "
              + m.numClasses() + " classes; the Fashion-MNIST classifier needs 1×32×32 images "
              + "with 10 classes (igspark prepare fashion-mnist)");
    }
    int n = Math.toIntExact(m.count());
    float[] pixels = new float[n * PIXELS];
    long[] y = new long[n];
    long[] all = new long[n];
    Arrays.setAll(all, i -> i);
    try (LatentDataset data = LatentDataset.open(datasetUri, conf, LocalShardCache.inTempDir())) {
      data.gatherInto(all, SampleNoise.none(), pixels, y);
    }
    int[] labels = new int[n];
    for (int i = 0; i < n; i++) {
      labels[i] = (int) y[i];
    }
    return new FmnistImages(pixels, labels, n, datasetUri, sha256(manifestPath, conf));
  }

  /** The first {@code n} images (for quicker evaluations on a part of a split). */
  public FmnistImages first(int n) {
    int k = Math.min(n, count);
    return new FmnistImages(
        Arrays.copyOf(pixels, k * PIXELS),
        labels == null ? null : Arrays.copyOf(labels, k),
        k,
        source + " (first " + k + ")",
        manifestSha256);
  }

  private static String sha256(Path file, Configuration conf) {
    try (InputStream in = FileSystem.get(file.toUri(), conf).open(file)) {
      return Sha256.of(in);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    }
  }
}
