package ai.igspark.eval.fmnist;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import ai.igspark.data.InvalidInputException;
import ai.igspark.data.LoopbackOnly;
import ai.igspark.eval.FeatureExtractor;
import ai.igspark.eval.FeatureStatistics;
import ai.igspark.eval.ImageBatch;
import ai.igspark.eval.InceptionScore;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The frozen Fashion-MNIST classifier as a feature extractor (docs/METRICS.md §7, "Fashion-MNIST
 * demo"): 128 penultimate features per image for FD-FMNIST (the Fréchet distance of their
 * Gaussians) and 10 logits whose softmax gives the classifier score (the IS formula, ADM
 * chunking). These numbers are reported as FD-FMNIST and classifier score, never as FID or IS.
 *
 * <p>Input is float NCHW 1×32×32 in [−1, 1] (the dataset's and the sampler's scale), or, through
 * {@link #extract(ImageBatch)}, uint8 NHWC images of 32×32 whose three channels are averaged to
 * grey and mapped by {@code v / 127.5 − 1}, as the ingest maps grey levels.
 */
public final class FmnistFeatures implements FeatureExtractor {
  /** Images per forward pass: large enough to amortise the per-call cost, small in memory. */
  public static final int DEFAULT_BATCH = 500;

  private final FmnistClassifier classifier;
  private final NDManager manager;
  private final Map<String, NDArray> weights = new LinkedHashMap<>();

  private FmnistFeatures(FmnistClassifier classifier, Device device) {
    LoopbackOnly.apply();
    this.classifier = classifier;
    this.manager = NDManager.newBaseManager(device);
    Map<String, float[]> host = classifier.weights();
    for (Map.Entry<String, Shape> e : FmnistCnn.parameterShapes().entrySet()) {
      weights.put(e.getKey(), manager.create(host.get(e.getKey()), e.getValue()));
    }
  }

  /** The classifier on the CPU. */
  public static FmnistFeatures of(FmnistClassifier classifier) {
    return new FmnistFeatures(classifier, Device.cpu());
  }

  /** Features of the committed classifier ({@link FmnistClassifier#loadDefault()}) on the CPU. */
  public static FmnistFeatures ofDefault() {
    return ofDefault(Device.cpu());
  }

  /** Features of the committed classifier, computed on {@code device}. */
  public static FmnistFeatures ofDefault(Device device) {
    return new FmnistFeatures(FmnistClassifier.loadDefault(), device);
  }

  public FmnistClassifier classifier() {
    return classifier;
  }

  /**
   * One forward pass, row-major: {@code features} count×128, {@code logits} count×10 and their
   * softmax {@code probabilities}.
   */
  public record Batch(int count, float[] features, float[] logits, float[] probabilities) {}

  /** Images {@code [from, from + count)} of {@code pixels} (N×1×32×32 floats in [−1, 1]). */
  public Batch forward(float[] pixels, int from, int count) {
    if (count <= 0 || ((long) from + count) * FmnistImages.PIXELS > pixels.length) {
      throw new IllegalArgumentException(
          "images [" + from + ", " + (from + count) + ") of 1×32×32 are not within "
              + pixels.length + " values");
    }
    // Grad mode is thread-local in libtorch and on in fresh threads (docs/PLATFORM.md §1).
    JniUtils.setGradMode(false);
    try (NDManager batch = manager.newSubManager()) {
      float[] slice = new float[count * FmnistImages.PIXELS];
      System.arraycopy(pixels, from * FmnistImages.PIXELS, slice, 0, slice.length);
      NDArray x = batch.create(slice, new Shape(count, 1, FmnistCnn.IMAGE_SIZE,
          FmnistCnn.IMAGE_SIZE));
      FmnistCnn.Output out = FmnistCnn.forward(weights, x);
      return new Batch(
          count,
          out.features().toFloatArray(),
          out.logits().toFloatArray(),
          out.logits().softmax(1).toFloatArray());
    }
  }

  /** Fraction of images whose most probable class is their label. */
  public double accuracy(FmnistImages images) {
    int[] predicted = predictedClasses(images);
    long correct = 0;
    for (int i = 0; i < predicted.length; i++) {
      correct += predicted[i] == images.labels()[i] ? 1 : 0;
    }
    return (double) correct / images.count();
  }

  /** The most probable class of each image (the first on a tie). */
  public int[] predictedClasses(FmnistImages images) {
    int[] predicted = new int[images.count()];
    for (int from = 0; from < images.count(); from += DEFAULT_BATCH) {
      int n = Math.min(DEFAULT_BATCH, images.count() - from);
      float[] logits = forward(images.pixels(), from, n).logits();
      for (int i = 0; i < n; i++) {
        int best = 0;
        for (int c = 1; c < FmnistCnn.CLASSES; c++) {
          if (logits[i * FmnistCnn.CLASSES + c] > logits[i * FmnistCnn.CLASSES + best]) {
            best = c;
          }
        }
        predicted[from + i] = best;
      }
    }
    return predicted;
  }

  /**
   * What FD-FMNIST and the classifier score need from one set of images: the feature statistics
   * (μ, Σ in double) and the classifier score (IS formula on the softmax, ADM chunks of 5000).
   */
  public record Summary(FeatureStatistics features, InceptionScore.Result classifierScore) {}

  /** Streams {@code count} images of {@code pixels} through the classifier in batches. */
  public Summary summarize(float[] pixels, int count) {
    FeatureStatistics stats = FeatureStatistics.create(FmnistCnn.FEATURES);
    InceptionScore score = InceptionScore.admChunks(InceptionScore.ADM_SPLIT_SIZE);
    for (int from = 0; from < count; from += DEFAULT_BATCH) {
      Batch b = forward(pixels, from, Math.min(DEFAULT_BATCH, count - from));
      stats.add(b.features(), b.count());
      score.addLogits(b.logits(), b.count());
    }
    return new Summary(stats, score.result());
  }

  @Override
  public Map<Output, Integer> outputs() {
    Map<Output, Integer> m = new EnumMap<>(Output.class);
    m.put(Output.POOL, FmnistCnn.FEATURES);
    m.put(Output.LOGITS, FmnistCnn.CLASSES);
    return m;
  }

  /** uint8 NHWC 32×32 images: channels averaged to grey, then {@code v / 127.5 − 1}. */
  @Override
  public Features extract(ImageBatch images) {
    int size = FmnistCnn.IMAGE_SIZE;
    if (images.height() != size || images.width() != size) {
      throw new InvalidInputException(
          "images are " + images.height() + "×" + images.width() + "; the Fashion-MNIST "
              + "classifier " + classifier.source() + " needs 32×32 (28×28 padded by 2)");
    }
    byte[] p = images.pixels();
    float[] grey = new float[images.count() * FmnistImages.PIXELS];
    for (int i = 0; i < grey.length; i++) {
      int sum = (p[3 * i] & 0xff) + (p[3 * i + 1] & 0xff) + (p[3 * i + 2] & 0xff);
      grey[i] = sum / 382.5f - 1f; // (sum / 3) / 127.5 − 1
    }
    Batch b = forward(grey, 0, images.count());
    return new Features(b.count(), b.features(), null, b.logits());
  }

  @Override
  public String sha256() {
    return classifier.sha256();
  }

  @Override
  public String description() {
    return "Fashion-MNIST classifier " + FmnistCnn.ARCHITECTURE + " (" + classifier.source() + ")";
  }

  @Override
  public void close() {
    manager.close();
  }
}
