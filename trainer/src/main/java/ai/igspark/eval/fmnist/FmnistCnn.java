package ai.igspark.eval.fmnist;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.nn.pooling.Pool;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The Fashion-MNIST feature network (docs/METRICS.md §7, "Fashion-MNIST demo"), written as plain
 * NDArray functions of a named weight map, like DiT's models.py reads:
 *
 * <pre>
 *   x: 1×32×32 in [−1, 1]
 *   conv1 3×3, 16, ReLU, max-pool 2   → 16×16×16
 *   conv2 3×3, 32, stride 2, ReLU     → 32×8×8
 *   conv3 3×3, 64, stride 2, ReLU     → 64×4×4
 *   fc    1024 → 128, ReLU            → the 128 penultimate features (FD-FMNIST)
 *   head  128 → 10                    → logits (softmax: the classifier score)
 * </pre>
 *
 * <p>Strided convolutions instead of more pooling keep a training epoch on 60k images cheap
 * (about 0.9 M multiply-adds per image forward) on two shared CPU cores. Any change to this
 * layout must change {@link #ARCHITECTURE}, which frozen files are checked against.
 */
public final class FmnistCnn {
  /** Architecture id stored in (and checked when loading) every frozen classifier file. */
  public static final String ARCHITECTURE = "fmnist-cnn-v1";

  public static final int IMAGE_SIZE = 32;
  public static final int FEATURES = 128;
  public static final int CLASSES = 10;

  private static final Map<String, Shape> SHAPES = shapes();

  private FmnistCnn() {}

  private static Map<String, Shape> shapes() {
    Map<String, Shape> s = new LinkedHashMap<>();
    s.put("conv1.weight", new Shape(16, 1, 3, 3));
    s.put("conv1.bias", new Shape(16));
    s.put("conv2.weight", new Shape(32, 16, 3, 3));
    s.put("conv2.bias", new Shape(32));
    s.put("conv3.weight", new Shape(64, 32, 3, 3));
    s.put("conv3.bias", new Shape(64));
    s.put("fc.weight", new Shape(FEATURES, 64 * 4 * 4));
    s.put("fc.bias", new Shape(FEATURES));
    s.put("head.weight", new Shape(CLASSES, FEATURES));
    s.put("head.bias", new Shape(CLASSES));
    return Collections.unmodifiableMap(s);
  }

  /** Every parameter's name and shape, in a fixed order. */
  public static Map<String, Shape> parameterShapes() {
    return SHAPES;
  }

  /**
   * PyTorch's default Conv2d/Linear initialisation, U(−1/√fan_in, 1/√fan_in) for weights and
   * biases, drawn from a Java generator in parameter order so that the start is the same on every
   * machine and thread count.
   */
  public static Map<String, float[]> initialWeights(long seed) {
    SplittableRandom rng = new SplittableRandom(seed);
    Map<String, float[]> weights = new LinkedHashMap<>();
    for (Map.Entry<String, Shape> e : SHAPES.entrySet()) {
      String layer = e.getKey().substring(0, e.getKey().indexOf('.'));
      Shape weightShape = SHAPES.get(layer + ".weight");
      long fanIn = weightShape.size() / weightShape.get(0);
      double bound = 1 / Math.sqrt(fanIn);
      float[] w = new float[Math.toIntExact(e.getValue().size())];
      for (int i = 0; i < w.length; i++) {
        w[i] = (float) rng.nextDouble(-bound, bound);
      }
      weights.put(e.getKey(), w);
    }
    return weights;
  }

  /** The network output: penultimate features (N×128, after ReLU) and logits (N×10). */
  public record Output(NDArray features, NDArray logits) {}

  /** Forward pass of N images (N×1×32×32); differentiable when the weights require gradients. */
  public static Output forward(Map<String, NDArray> w, NDArray x) {
    NDArray h = conv(w, "conv1", x, 1);
    h = Pool.maxPool2d(h, new Shape(2, 2), new Shape(2, 2), new Shape(0, 0), false);
    h = conv(w, "conv2", h, 2);
    h = conv(w, "conv3", h, 2);
    h = h.reshape(h.getShape().get(0), 64 * 4 * 4);
    NDArray features = Activation.relu(linear(w, "fc", h));
    NDArray logits = linear(w, "head", features);
    return new Output(features, logits);
  }

  private static NDArray conv(Map<String, NDArray> w, String name, NDArray x, int stride) {
    NDList out =
        Conv2d.conv2d(
            x,
            w.get(name + ".weight"),
            w.get(name + ".bias"),
            new Shape(stride, stride),
            new Shape(1, 1));
    return Activation.relu(out.singletonOrThrow());
  }

  private static NDArray linear(Map<String, NDArray> w, String name, NDArray x) {
    return Linear.linear(x, w.get(name + ".weight"), w.get(name + ".bias")).singletonOrThrow();
  }
}
