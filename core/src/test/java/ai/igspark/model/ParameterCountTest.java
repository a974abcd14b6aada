package ai.igspark.model;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDManager;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Totals from docs/METHOD.md §4 (computed from the official code, frozen pos_embed in). */
class ParameterCountTest {

  @Test
  void sitB2WithIgHeadAtBlock4() {
    ParameterCount c = ParameterCount.of(Presets.get("SiT-B/2"));
    assertEquals(131_693_600L, c.total());
    assertEquals(130_500_112L, c.withoutIgHead());
    assertEquals(1_193_488L, c.igHead());
  }

  @Test
  void sitL2WithIgHead() {
    assertEquals(460_202_016L, ParameterCount.of(Presets.get("SiT-L/2")).total());
  }

  @Test
  void sitXl2WithIgHead() {
    ParameterCount c = ParameterCount.of(Presets.get("SiT-XL/2"));
    assertEquals(677_786_144L, c.total());
    assertEquals(2_674_960L, c.igHead());
  }

  @Test
  void lightningDitXl1WithIgHead() {
    ParameterCount c = ParameterCount.of(Presets.get("LightningDiT-XL/1"));
    assertEquals(677_951_296L, c.total());
    assertEquals(675_256_736L, c.withoutIgHead());
    assertEquals(2_694_560L, c.igHead());
  }

  @Test
  void noIgHeadMeansNoHeadParameters() {
    ParameterCount c = ParameterCount.of(Presets.get("SiT-XL/2").withIgDepth(0));
    assertEquals(675_111_184L, c.total());
    assertEquals(0L, c.igHead());
  }

  @Test
  void partsSumToTheTotal() {
    ParameterCount c = ParameterCount.of(Presets.get("LightningDiT-XL/1"));
    assertEquals(c.total(), c.parts().values().stream().mapToLong(Long::longValue).sum());
  }

  /** The analytic count equals the allocated model's parameters (buffers excluded). */
  @ParameterizedTest
  @ValueSource(strings = {"sit-tiny", "lightningdit-tiny", "sit-demo"})
  void analyticCountMatchesTheBuiltModel(String preset) {
    ModelConfig cfg = Presets.get(preset);
    try (NDManager m = NDManager.newBaseManager();
        IgDiT model = IgDiT.create(cfg, m, 1)) {
      long built =
          model.stateDict().entrySet().stream()
              .filter(e -> !e.getKey().startsWith("feat_rope."))
              .mapToLong(e -> e.getValue().size())
              .sum();
      assertEquals(ParameterCount.of(cfg).total(), built);
      assertEquals(
          ParameterCount.of(cfg).trainable(),
          model.trainableNames().stream().mapToLong(n -> model.stateDict().get(n).size()).sum());
    }
  }
}
