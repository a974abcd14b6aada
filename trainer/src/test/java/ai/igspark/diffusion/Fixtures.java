package ai.igspark.diffusion;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

/** Reads the .npy parity fixtures written by src/test/python/gen_diffusion_parity.py. */
public final class Fixtures {
  static final Path DIR = Paths.get("src/test/resources/fixtures/diffusion-parity");

  private Fixtures() {}

  public static NDArray npy(NDManager manager, String name) {
    try (InputStream in = Files.newInputStream(DIR.resolve(name + ".npy"))) {
      return NDList.decode(manager, in).singletonOrThrow();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
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
