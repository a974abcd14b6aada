package ai.igspark.diffusion;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.igspark.tensorfile.HostTensor;
import ai.igspark.tensorfile.Npy;
import java.nio.file.Path;

/** Reads the .npy parity fixtures written by src/test/python/gen_diffusion_parity.py. */
public final class Fixtures {
  static final Path DIR = ai.igspark.testsupport.Fixtures.path("diffusion-parity");

  private Fixtures() {}

  /** Reads {@code name.npy}: f4 as float32, i8 as int64, u1 (a numpy bool mask) as boolean. */
  public static NDArray npy(NDManager manager, String name) {
    HostTensor t = Npy.read(DIR.resolve(name + ".npy"));
    Shape shape = new Shape(t.shape());
    return switch (t.dtype()) {
      case F32 -> manager.create(t.toFloats(), shape);
      case I64 -> manager.create(t.toLongs(), shape);
      case U8 -> manager.create(t.toFloats(), shape).gt(0.5f);
      default -> throw new IllegalArgumentException(name + ": unexpected dtype " + t.dtype());
    };
  }

  public static void assertClose(NDArray expected, NDArray actual, double tol, String what) {
    org.junit.jupiter.api.Assertions.assertEquals(
        expected.getShape(), actual.getShape(), what + ": shape");
    float[] e = expected.toFloatArray();
    float[] a = actual.toFloatArray();
    double worst = 0;
    int at = -1;
    for (int i = 0; i < e.length; i++) {
      double d = Math.abs((double) e[i] - a[i]);
      if (!(d <= worst)) {
        worst = d;
        at = i;
      }
    }
    if (!(worst <= tol)) {
      org.junit.jupiter.api.Assertions.fail(
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
  }
}
