package ai.igspark.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.igspark.diffusion.Velocities;
import ai.igspark.tensorfile.HostTensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The Java network against an independent PyTorch implementation (src/test/python/ig_reference.py)
 * on random non-zero weights: both heads agree within 1e-4.
 */
class IgDiTParityTest {
  private static final double TOLERANCE = 1e-4;

  @ParameterizedTest
  @ValueSource(strings = {"sit-tiny", "lightningdit-tiny"})
  void bothHeadsMatchThePyTorchReference(String name) {
    ParityFixture f = ParityFixture.named(name);
    try (NDManager m = NDManager.newBaseManager();
        IgDiT model = IgDiT.create(f.config(), m, 0)) {
      model.loadStateDict(f.state(), name + "/state.npz");
      Velocities out = model.forward(f.floats(m, "x"), f.floats(m, "t"), f.longs(m, "y"));
      assertClose(f.floats(m, "v_final"), out.vFinal(), name + " v_final");
      assertClose(f.floats(m, "v_intermediate"), out.vIntermediate(), name + " v_intermediate");
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"sit-tiny", "lightningdit-tiny"})
  void stateDictHasTheOfficialKeysInTheOfficialOrder(String name) {
    ParityFixture f = ParityFixture.named(name);
    try (NDManager m = NDManager.newBaseManager();
        IgDiT model = IgDiT.create(f.config(), m, 0)) {
      assertEquals(
          new ArrayList<>(f.state().keySet()), new ArrayList<>(model.stateDict().keySet()));
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"sit-tiny", "lightningdit-tiny"})
  void computedPositionTablesEqualTheReferenceOnes(String name) {
    ParityFixture f = ParityFixture.named(name);
    Map<String, HostTensor> ref = f.state();
    try (NDManager m = NDManager.newBaseManager();
        IgDiT model = IgDiT.create(f.config(), m, 0)) {
      List<String> tables = new ArrayList<>(List.of("pos_embed"));
      if (ref.containsKey("feat_rope.freqs_cos")) {
        tables.addAll(List.of("feat_rope.freqs_cos", "feat_rope.freqs_sin"));
      }
      for (String key : tables) {
        HostTensor h = ref.get(key);
        NDArray expected = m.create(h.toFloats(), new ai.djl.ndarray.types.Shape(h.shape()));
        assertClose(expected, model.stateDict().get(key), key);
      }
    }
  }

  static void assertClose(NDArray expected, NDArray actual, String what) {
    assertEquals(expected.getShape(), actual.getShape(), what + " shape");
    float diff = expected.sub(actual).abs().max().getFloat();
    assertTrue(diff < TOLERANCE, what + ": max |diff| " + diff);
  }
}
