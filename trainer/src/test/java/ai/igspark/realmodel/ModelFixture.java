package ai.igspark.realmodel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.igspark.model.IgDiT;
import ai.igspark.model.ModelConfig;
import ai.igspark.tensorfile.HostTensor;
import ai.igspark.tensorfile.Npy;
import ai.igspark.tensorfile.Npz;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One tiny IG model with the parity fixtures of src/test/python: its config and random non-zero
 * weights from {@code fixtures/model-parity/<name>} (gen_model_parity.py) and the sampler and
 * optimizer references from {@code fixtures/model-sampling-parity/<name>}
 * (gen_model_sampling_parity.py).
 */
record ModelFixture(String name, Path weightsDir, Path referenceDir) {

  static ModelFixture named(String name) {
    return new ModelFixture(
        name,
        resource("/fixtures/model-parity/" + name),
        resource("/fixtures/model-sampling-parity/" + name));
  }

  private static Path resource(String path) {
    try {
      return Path.of(ModelFixture.class.getResource(path).toURI());
    } catch (URISyntaxException | NullPointerException e) {
      throw new IllegalStateException("missing test resource " + path, e);
    }
  }

  ModelConfig config() {
    return ModelConfig.load(weightsDir.resolve("model.yaml"));
  }

  /** The model with the fixture's weights, in a sub-manager of {@code m}. */
  IgDiT model(NDManager m) {
    IgDiT model = IgDiT.create(config(), m, 0);
    model.loadStateDict(Npz.readAll(weightsDir.resolve("state.npz")), name + "/state.npz");
    return model;
  }

  /** {@code key.npy}: f4 as float32, i8 as int64, u1 (a numpy bool mask) as boolean. */
  NDArray npy(NDManager m, String key) {
    return array(m, Npy.read(referenceDir.resolve(key + ".npy")), key);
  }

  /** Every array of {@code file} (an .npz), in file order. */
  Map<String, NDArray> npz(NDManager m, String file) {
    Map<String, NDArray> out = new LinkedHashMap<>();
    Npz.readAll(referenceDir.resolve(file)).forEach((k, h) -> out.put(k, array(m, h, k)));
    return out;
  }

  private static NDArray array(NDManager m, HostTensor t, String key) {
    Shape shape = new Shape(t.shape());
    return switch (t.dtype()) {
      case F32 -> m.create(t.toFloats(), shape);
      case I64 -> m.create(t.toLongs(), shape);
      case U8 -> m.create(t.toFloats(), shape).gt(0.5f);
      default -> throw new IllegalArgumentException(key + ": unexpected dtype " + t.dtype());
    };
  }

  /**
   * Fails unless every element of {@code actual} is within {@code tol} of {@code expected}; returns
   * the largest absolute difference.
   */
  static double assertClose(NDArray expected, NDArray actual, double tol, String what) {
    assertEquals(expected.getShape(), actual.getShape(), what + ": shape");
    float[] e = expected.toFloatArray();
    float[] a = actual.toFloatArray();
    double worst = 0;
    int at = 0;
    for (int i = 0; i < e.length; i++) {
      double d = Math.abs((double) e[i] - a[i]);
      if (!(d <= worst)) { // NaN counts as worst
        worst = d;
        at = i;
      }
    }
    if (!(worst <= tol)) {
      fail(
          what
              + ": max |diff| "
              + worst
              + " at "
              + at
              + " (expected "
              + e[at]
              + ", got "
              + a[at]
              + "), tolerance "
              + tol);
    }
    return worst;
  }
}
