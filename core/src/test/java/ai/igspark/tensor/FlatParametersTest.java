package ai.igspark.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import java.nio.FloatBuffer;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Parameters stored flat: three tensors in two groups ({@code a} [2, 3] and {@code b} [4] share
 * one, {@code c} [3, 3] is larger than the group size and has its own), on the CPU and with
 * emulated device semantics.
 */
class FlatParametersTest {
  private final boolean before = DeviceTransfer.emulated();
  private final NDManager manager = NDManager.newBaseManager();
  private FlatParameters flat;

  @AfterEach
  void tearDown() {
    manager.close();
    DeviceTransfer.setEmulated(before);
  }

  private FlatParameters make(boolean emulated) {
    DeviceTransfer.setEmulated(emulated);
    FlatLayout layout = FlatLayout.of(List.of("a", "b", "c"),
        List.of(new Shape(2, 3), new Shape(4), new Shape(3, 3)), 10);
    flat = new FlatParameters(manager, layout);
    flat.write("a", FloatBuffer.wrap(range(6, 1)));
    flat.write("b", FloatBuffer.wrap(range(4, 10)));
    flat.write("c", FloatBuffer.wrap(range(9, 20)));
    return flat;
  }

  private static float[] range(int n, int from) {
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = from + i;
    }
    return v;
  }

  /** loss = Σ k·⟨p_k, p_k⟩/2 with k = 1, 2, 3 for a, b, c: d loss / d p_k = k·p_k. */
  private void backward() {
    try (NDScope scope = new NDScope();
        GradScope grad = new GradScope()) {
      Map<String, NDArray> p = flat.forwardViews();
      NDArray loss = p.get("a").square().sum().mul(0.5f)
          .add(p.get("b").square().sum())
          .add(p.get("c").square().sum().mul(1.5f));
      grad.backward(loss);
    }
  }

  @ParameterizedTest(name = "emulated = {0}")
  @ValueSource(booleans = {false, true})
  void backwardLeavesOneContiguousGradientPerGroup(boolean emulated) {
    make(emulated);
    backward();
    try (NDScope scope = new NDScope()) {
      List<NDArray> grads = flat.gradients();
      assertEquals(2, grads.size());
      float[] first = DeviceTransfer.download(grads.get(0));
      float[] expected = new float[10];
      for (int i = 0; i < 6; i++) {
        expected[i] = 1 + i; // 1·a
      }
      for (int i = 0; i < 4; i++) {
        expected[6 + i] = 2 * (10 + i); // 2·b
      }
      assertArrayEquals(expected, first);
      float[] second = DeviceTransfer.download(grads.get(1));
      for (int i = 0; i < 9; i++) {
        assertEquals(3 * (20 + i), second[i]);
      }
      assertEquals(new Shape(3, 3), flat.gradientViews().get("c").getShape());
    }
  }

  @ParameterizedTest(name = "emulated = {0}")
  @ValueSource(booleans = {false, true})
  void gradientsAccumulateOverBackwardsAndZeroingClearsThem(boolean emulated) {
    make(emulated);
    backward();
    backward();
    try (NDScope scope = new NDScope()) {
      assertEquals(2 * 2 * 13f, DeviceTransfer.download(flat.gradientViews().get("b"))[3]);
    }
    flat.zeroGradients();
    try (NDScope scope = new NDScope()) {
      for (NDArray g : flat.gradients()) {
        for (float v : DeviceTransfer.download(g)) {
          assertEquals(0f, v);
        }
      }
    }
  }

  @ParameterizedTest(name = "emulated = {0}")
  @ValueSource(booleans = {false, true})
  void anInPlaceUpdateOfABufferIsSeenThroughTheViewsAndByTheNextForward(boolean emulated) {
    make(emulated);
    try (GradModeOff off = new GradModeOff();
        NDScope scope = new NDScope()) {
      flat.buffer(1).muli(2f); // c, its own group
      assertEquals(2 * 28f, DeviceTransfer.download(flat.views().get("c"))[8]);
      flat.views().get("a").subi(1f);
      assertEquals(0f, DeviceTransfer.download(flat.buffer(0))[0]);
    }
    backward();
    try (NDScope scope = new NDScope()) {
      assertEquals(3 * 2 * 28f, DeviceTransfer.download(flat.gradientViews().get("c"))[8]);
    }
  }

  @ParameterizedTest(name = "emulated = {0}")
  @ValueSource(booleans = {false, true})
  void withGradModeOffAForwardReadsTheLiveViews(boolean emulated) {
    make(emulated);
    try (GradModeOff off = new GradModeOff()) {
      assertSame(flat.views().get("b"), flat.forwardViews().get("b"));
    }
    try (NDScope scope = new NDScope();
        GradScope grad = new GradScope()) {
      NDArray fresh = flat.forwardViews().get("b");
      assertTrue(fresh != flat.views().get("b"));
      assertArrayEquals(range(4, 10), DeviceTransfer.download(fresh));
    }
  }
}
