package ai.igspark.diffusion;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.igspark.model.TrainableNet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * A small real two-head network for tests, implemented identically in
 * src/test/python/diffusion_reference.py:
 *
 * <pre>
 * h   = tanh(x W_in^T + b_in + t w_t + E[y] + P[pos])     per pixel, channels as features
 * v_i = h W_i^T + b_i                                      intermediate head
 * v_f = tanh(h W_m^T + b_m) W_f^T + b_f                    final head
 * </pre>
 */
public final class TinyTwoHeadNet implements TrainableNet {
  static final List<String> NAMES =
      List.of(
          "in.weight",
          "in.bias",
          "t.weight",
          "y.embedding",
          "pos.embedding",
          "head_i.weight",
          "head_i.bias",
          "mid.weight",
          "mid.bias",
          "head_f.weight",
          "head_f.bias");

  private final Map<String, NDArray> params;
  private final int numClasses;

  private TinyTwoHeadNet(Map<String, NDArray> params) {
    this.params = params;
    this.numClasses = (int) params.get("y.embedding").getShape().get(0) - 1;
    params.values().forEach(p -> p.setRequiresGradient(true));
  }

  /** Copies {@code weights} (named as {@link #NAMES}) into {@code manager}. */
  public static TinyTwoHeadNet of(NDManager manager, Map<String, NDArray> weights) {
    Map<String, NDArray> params = new LinkedHashMap<>();
    for (String name : NAMES) {
      NDArray w = weights.get(name);
      params.put(name, manager.create(w.toFloatArray(), w.getShape()));
    }
    return new TinyTwoHeadNet(params);
  }

  public static TinyTwoHeadNet random(
      NDManager manager,
      int channels,
      int hidden,
      int numClasses,
      int height,
      int width,
      long seed) {
    SplittableRandom rng = new SplittableRandom(seed);
    Map<String, NDArray> p = new LinkedHashMap<>();
    p.put("in.weight", normal(manager, rng, 0.5f, hidden, channels));
    p.put("in.bias", normal(manager, rng, 0.1f, hidden));
    p.put("t.weight", normal(manager, rng, 0.5f, hidden));
    p.put("y.embedding", normal(manager, rng, 0.5f, numClasses + 1, hidden));
    p.put("pos.embedding", normal(manager, rng, 0.3f, height * width, hidden));
    p.put("head_i.weight", normal(manager, rng, 0.3f, channels, hidden));
    p.put("head_i.bias", normal(manager, rng, 0.1f, channels));
    p.put("mid.weight", normal(manager, rng, 0.3f, hidden, hidden));
    p.put("mid.bias", normal(manager, rng, 0.1f, hidden));
    p.put("head_f.weight", normal(manager, rng, 0.3f, channels, hidden));
    p.put("head_f.bias", normal(manager, rng, 0.1f, channels));
    return new TinyTwoHeadNet(p);
  }

  private static NDArray normal(NDManager m, SplittableRandom rng, float scale, long... shape) {
    Shape s = new Shape(shape);
    float[] v = new float[(int) s.size()];
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) rng.nextGaussian() * scale;
    }
    return m.create(v, s);
  }

  @Override
  public Map<String, NDArray> trainableParameters() {
    return params;
  }

  @Override
  public Velocities predict(NDArray x, NDArray t, NDArray y) {
    Shape s = x.getShape();
    long n = s.get(0);
    long c = s.get(1);
    long h = s.get(2);
    long w = s.get(3);
    NDArray xs = x.transpose(0, 2, 3, 1).reshape(n, h * w, c);
    NDArray emb =
        y.toType(DataType.INT64, false)
            .oneHot(numClasses + 1, DataType.FLOAT32)
            .matMul(params.get("y.embedding"));
    NDArray pre =
        xs.matMul(params.get("in.weight").transpose())
            .add(params.get("in.bias"))
            .add(t.reshape(n, 1, 1).mul(params.get("t.weight")))
            .add(emb.reshape(n, 1, -1))
            .add(params.get("pos.embedding").expandDims(0));
    NDArray hid = pre.tanh();
    NDArray vi = hid.matMul(params.get("head_i.weight").transpose()).add(params.get("head_i.bias"));
    NDArray h2 =
        hid.matMul(params.get("mid.weight").transpose()).add(params.get("mid.bias")).tanh();
    NDArray vf = h2.matMul(params.get("head_f.weight").transpose()).add(params.get("head_f.bias"));
    return new Velocities(
        vf.reshape(n, h, w, c).transpose(0, 3, 1, 2), vi.reshape(n, h, w, c).transpose(0, 3, 1, 2));
  }
}
