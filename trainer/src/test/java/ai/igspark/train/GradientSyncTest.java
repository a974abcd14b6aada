package ai.igspark.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.igspark.tensor.DeviceTransfer;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Replicas on one rank: the bucketed device-side sum equals a host sum in replica order. */
public class GradientSyncTest {
  /** Odd sizes, so buckets cut through parameters. */
  public static final long[][] SHAPES = {{3, 5}, {17}, {2, 2, 2}, {40}, {1}};

  private final boolean before = DeviceTransfer.emulated();

  @AfterEach
  void restore() {
    DeviceTransfer.setEmulated(before);
  }

  /** Random float32 "gradients" of {@link #SHAPES} for one replica. */
  public static List<NDArray> gradients(NDManager m, long seed) {
    SplittableRandom rng = new SplittableRandom(seed);
    List<NDArray> out = new ArrayList<>();
    for (long[] s : SHAPES) {
      Shape shape = new Shape(s);
      float[] v = new float[(int) shape.size()];
      for (int i = 0; i < v.length; i++) {
        v[i] = (float) (rng.nextGaussian() * Math.pow(10, rng.nextInt(-3, 4)));
      }
      out.add(DeviceTransfer.upload(m, v, shape));
    }
    return out;
  }

  /** Every replica's gradients as one flat host array. */
  public static float[] flat(List<NDArray> grads) {
    java.nio.FloatBuffer b = java.nio.FloatBuffer.allocate((int) FlatGradients.size(grads));
    FlatGradients.copyTo(grads, b);
    return b.array();
  }

  public static long[] sizes() {
    long[] n = new long[SHAPES.length];
    for (int i = 0; i < n.length; i++) {
      n[i] = new Shape(SHAPES[i]).size();
    }
    return n;
  }

  /** Σ_r x_r, added in replica order as float32, element by element. */
  public static float[] replicaOrderSum(List<float[]> xs) {
    float[] s = xs.get(0).clone();
    for (int r = 1; r < xs.size(); r++) {
      for (int i = 0; i < s.length; i++) {
        s[i] += xs.get(r)[i];
      }
    }
    return s;
  }

  @ParameterizedTest(name = "{0} replicas, buckets of {1} floats, emulated = {2}")
  @CsvSource({"2, 7, false", "3, 7, true", "3, 1000, false", "2, 1, true", "4, 16, true"})
  void everyReplicaEndsWithTheSumInReplicaOrder(int replicas, int bucket, boolean emulated) {
    DeviceTransfer.setEmulated(emulated);
    try (NDManager m = NDManager.newBaseManager(Device.cpu());
        GradientSync sync = new GradientSync(GradientBuckets.plan(sizes(), bucket), null, 3)) {
      List<List<NDArray>> grads = new ArrayList<>();
      List<float[]> before = new ArrayList<>();
      for (int r = 0; r < replicas; r++) {
        grads.add(gradients(m, 100 + r));
        before.add(flat(grads.get(r)));
      }
      float[] extras = sync.allReduce(grads, new float[] {1.5f, 2.5f, 3.5f});
      float[] expected = replicaOrderSum(before);
      for (int r = 0; r < replicas; r++) {
        assertArrayEquals(expected, flat(grads.get(r)), "replica " + r);
      }
      assertArrayEquals(new float[] {1.5f, 2.5f, 3.5f}, extras, "one rank: extras unchanged");
      assertEquals(0, sync.stagingBytes(), "no host staging without a ring");
    }
  }

  @ParameterizedTest(name = "emulated = {0}")
  @CsvSource({"false", "true"})
  void repeatedCallsInsideScopesKeepTheirBuffersAndGiveTheSameSums(boolean emulated) {
    DeviceTransfer.setEmulated(emulated);
    try (NDManager m = NDManager.newBaseManager(Device.cpu());
        GradientSync sync = new GradientSync(GradientBuckets.plan(sizes(), 9), null, 3)) {
      for (int call = 0; call < 3; call++) {
        try (ai.djl.ndarray.NDScope scope = new ai.djl.ndarray.NDScope()) {
          List<List<NDArray>> grads = List.of(gradients(m, 7 + call), gradients(m, 70 + call));
          float[] expected = replicaOrderSum(List.of(flat(grads.get(0)), flat(grads.get(1))));
          sync.allReduce(grads, new float[3]);
          assertArrayEquals(expected, flat(grads.get(1)), "call " + call);
        }
      }
    }
  }
}
