package ai.igspark.model;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ParameterShapesTest {
  @ParameterizedTest
  @ValueSource(strings = {"SiT-XL/2", "SiT-B/2", "LightningDiT-XL/1", "sit-tiny",
      "lightningdit-tiny", "sit-demo"})
  void shapesAddUpToTheTrainableCount(String preset) {
    ModelConfig cfg = Presets.get(preset);
    assertEquals(ParameterCount.of(cfg).trainable(),
        Arrays.stream(ParameterShapes.sizes(cfg)).sum());
  }

  @ParameterizedTest
  @ValueSource(strings = {"sit-tiny", "lightningdit-tiny"})
  void shapesMatchTheBuiltModelNameByNameInOrder(String preset) {
    ModelConfig cfg = Presets.get(preset);
    try (ai.djl.ndarray.NDManager m = ai.djl.ndarray.NDManager.newBaseManager();
        IgDiT model = IgDiT.create(cfg, m, 0)) {
      var built = model.stateDict();
      built.keySet().retainAll(model.trainableNames());
      var planned = ParameterShapes.of(cfg);
      assertEquals(java.util.List.copyOf(planned.keySet()), java.util.List.copyOf(built.keySet()));
      planned.forEach((name, shape) ->
          assertEquals(Arrays.toString(shape),
              Arrays.toString(built.get(name).getShape().getShape()), name));
    }
  }
}
