package ai.igspark.eval.fmnist;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import ai.igspark.data.LoopbackOnly;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Consumer;

/**
 * Trains {@link FmnistCnn} on the Fashion-MNIST training split: Adam on the softmax cross-entropy
 * with a cosine learning-rate decay to 0, a fixed seed for the initial weights and for each
 * epoch's shuffle, no augmentation. For a given intra-op thread count the result is bit-for-bit
 * reproducible (CPU kernels reduce in a fixed order); the committed classifier was trained with
 * one thread.
 */
public final class FmnistTraining {
  private FmnistTraining() {}

  /** Training settings; {@link #defaults()} made the committed classifier. */
  public record Config(long seed, int epochs, int batchSize, float learningRate) {
    public Config {
      if (epochs <= 0 || batchSize <= 0 || !(learningRate > 0)) {
        throw new IllegalArgumentException(
            "epochs, batch size and learning rate must be positive: " + this);
      }
    }

    public static Config defaults() {
      return new Config(0, 5, 128, 2e-3f);
    }
  }

  /** The frozen classifier (test accuracy in its provenance) and the wall time of training. */
  public record Result(FmnistClassifier classifier, double trainSeconds, double[] epochLoss) {}

  public static Result train(
      FmnistImages train, FmnistImages test, Config config, Consumer<String> log) {
    LoopbackOnly.apply();
    Engine.getInstance();
    long t0 = System.nanoTime();
    double[] epochLoss = new double[config.epochs()];
    Map<String, float[]> trained = new LinkedHashMap<>();
    try (NDManager manager = NDManager.newBaseManager()) {
      Map<String, NDArray> w = new LinkedHashMap<>();
      Map<String, float[]> init = FmnistCnn.initialWeights(config.seed());
      for (Map.Entry<String, Shape> e : FmnistCnn.parameterShapes().entrySet()) {
        NDArray p = manager.create(init.get(e.getKey()), e.getValue());
        p.setRequiresGradient(true);
        w.put(e.getKey(), p);
      }
      int n = train.count();
      int steps = (n + config.batchSize() - 1) / config.batchSize();
      // Cosine decay to 0 over all steps: the last epochs settle instead of oscillating.
      Tracker lr =
          Tracker.cosine()
              .setBaseValue(config.learningRate())
              .optFinalValue(0f)
              .setMaxUpdates(steps * config.epochs())
              .build();
      Optimizer adam = Optimizer.adam().optLearningRateTracker(lr).build();
      for (int epoch = 0; epoch < config.epochs(); epoch++) {
        int[] order = shuffled(n, config.seed(), epoch);
        double lossSum = 0;
        for (int step = 0; step < steps; step++) {
          int from = step * config.batchSize();
          int b = Math.min(config.batchSize(), n - from);
          lossSum += step(manager, w, adam, train, order, from, b) * b;
          if ((step + 1) % 100 == 0) {
            log.accept(String.format("epoch %d step %d/%d loss %.4f (%.0f s)", epoch + 1,
                step + 1, steps, lossSum / (from + b), (System.nanoTime() - t0) / 1e9));
          }
        }
        epochLoss[epoch] = lossSum / n;
        log.accept(String.format("epoch %d: mean loss %.4f (%.0f s)", epoch + 1, epochLoss[epoch],
            (System.nanoTime() - t0) / 1e9));
      }
      for (Map.Entry<String, NDArray> e : w.entrySet()) {
        trained.put(e.getKey(), e.getValue().toFloatArray());
      }
    }
    double seconds = (System.nanoTime() - t0) / 1e9;
    FmnistClassifier.Provenance unscored = provenance(config, Double.NaN, train, test);
    double accuracy;
    try (FmnistFeatures f = FmnistFeatures.of(FmnistClassifier.of(trained, unscored))) {
      accuracy = f.accuracy(test);
    }
    log.accept(String.format("test accuracy %.4f on %d images", accuracy, test.count()));
    FmnistClassifier frozen =
        FmnistClassifier.of(trained, provenance(config, accuracy, train, test));
    return new Result(frozen, seconds, epochLoss);
  }

  private static FmnistClassifier.Provenance provenance(
      Config c, double accuracy, FmnistImages train, FmnistImages test) {
    return new FmnistClassifier.Provenance(
        FmnistCnn.ARCHITECTURE, c.seed(), c.epochs(), c.batchSize(), c.learningRate(),
        train.count(), accuracy, train.manifestSha256(), test.manifestSha256());
  }

  /** One Adam step on images {@code order[from .. from + b)}; returns the batch's mean loss. */
  private static double step(
      NDManager manager,
      Map<String, NDArray> w,
      Optimizer adam,
      FmnistImages train,
      int[] order,
      int from,
      int b) {
    float[] x = new float[b * FmnistImages.PIXELS];
    int[] y = new int[b];
    for (int i = 0; i < b; i++) {
      int k = order[from + i];
      System.arraycopy(train.pixels(), k * FmnistImages.PIXELS, x, i * FmnistImages.PIXELS,
          FmnistImages.PIXELS);
      y[i] = train.labels()[k];
    }
    float loss;
    try (NDManager batch = manager.newSubManager()) {
      NDArray images = batch.create(x, new Shape(b, 1, FmnistCnn.IMAGE_SIZE,
          FmnistCnn.IMAGE_SIZE));
      NDArray oneHot = batch.create(y).oneHot(FmnistCnn.CLASSES);
      try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
        NDArray logits = FmnistCnn.forward(w, images).logits();
        // Cross-entropy: −mean_i Σ_c onehot_ic · log softmax(logits)_ic.
        NDArray l = logits.logSoftmax(1).mul(oneHot).sum(new int[] {1}).mean().neg();
        gc.backward(l);
        loss = l.getFloat();
      }
      for (Map.Entry<String, NDArray> e : w.entrySet()) {
        NDArray grad = e.getValue().getGradient();
        grad.attach(batch); // the wrapper, not the parameter's gradient storage, closes with it
        adam.update(e.getKey(), e.getValue(), grad);
      }
    }
    return loss;
  }

  /** A seeded Fisher–Yates permutation of 0..n−1 for one epoch. */
  private static int[] shuffled(int n, long seed, int epoch) {
    SplittableRandom rng = new SplittableRandom(seed ^ (epoch + 1) * 0x9E3779B97F4A7C15L);
    int[] order = new int[n];
    for (int i = 0; i < n; i++) {
      order[i] = i;
    }
    for (int i = n - 1; i > 0; i--) {
      int j = rng.nextInt(i + 1);
      int t = order[i];
      order[i] = order[j];
      order[j] = t;
    }
    return order;
  }
}
