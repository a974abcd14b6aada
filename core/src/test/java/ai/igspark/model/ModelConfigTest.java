package ai.igspark.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.igspark.data.InvalidInputException;
import ai.igspark.diffusion.TimeConvention;
import ai.igspark.model.ModelConfig.Family;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelConfigTest {
  @TempDir Path dir;

  private Path write(String yaml) throws Exception {
    Path p = dir.resolve("model.yaml");
    Files.writeString(p, yaml);
    return p;
  }

  private static InvalidInputException rejects(String yaml, Path dir) throws Exception {
    Path p = dir.resolve("bad.yaml");
    Files.writeString(p, yaml);
    return assertThrows(InvalidInputException.class, () -> ModelConfig.load(p));
  }

  private static final String FULL_SIT =
      "family: sit\ninput_size: 32\nin_channels: 4\npatch_size: 2\nhidden_size: 768\n"
          + "depth: 12\nnum_heads: 12\nnum_classes: 1000\nig_depth: 4\n";

  @Test
  void presetByNameLoadsTheOfficialShape() throws Exception {
    ModelConfig cfg = ModelConfig.load(write("preset: SiT-XL/2\n"));
    assertEquals(Family.SIT, cfg.family());
    assertEquals(1152, cfg.hiddenSize());
    assertEquals(28, cfg.depth());
    assertEquals(8, cfg.igDepth());
    assertEquals(256, cfg.tokens());
    assertEquals(TimeConvention.SIT, cfg.timeConvention());
  }

  @Test
  void presetKeysCanBeOverridden() throws Exception {
    ModelConfig cfg = ModelConfig.load(write("preset: SiT-B/2\nig_depth: 2\nnum_classes: 10\n"));
    assertEquals(2, cfg.igDepth());
    assertEquals(10, cfg.numClasses());
    assertEquals(768, cfg.hiddenSize());
  }

  @Test
  void fullKeysWithoutPresetAreAccepted() throws Exception {
    ModelConfig cfg = ModelConfig.load(write(FULL_SIT));
    assertEquals(Presets.get("SiT-B/2"), cfg);
  }

  @Test
  void fromTreeAcceptsAMapFromARunConfig() {
    Map<String, Object> section = new LinkedHashMap<>();
    section.put("preset", "LightningDiT-XL/1");
    section.put("qk_norm", true);
    ModelConfig cfg = ModelConfig.fromTree(section, "run.yaml: model");
    assertTrue(cfg.qkNorm());
    assertEquals(3072, cfg.swigluHiddenSize());
    assertEquals(TimeConvention.LIGHTNINGDIT, cfg.timeConvention());
  }

  @Test
  void aBarePresetNameIsAModelSection() {
    assertEquals(Presets.get("sit-demo"), ModelConfig.fromTree("sit-demo", "run.yaml: model"));
  }

  @Test
  void lightningDitDefaultsFollowTheUpstreamRule() {
    ModelConfig cfg = Presets.get("LightningDiT-XL/1");
    assertEquals(3072, cfg.swigluHiddenSize()); // int(2/3 · 4 · 1152)
    assertTrue(cfg.rope());
    assertFalse(cfg.qkNorm());
    assertEquals(TimeConvention.LIGHTNINGDIT, cfg.timeConvention());
  }

  @Test
  void everyPresetRoundTripsThroughItsMap() {
    for (Map.Entry<String, ModelConfig> e : Presets.all().entrySet()) {
      ModelConfig back = ModelConfig.fromTree(e.getValue().toMap(), e.getKey());
      assertEquals(e.getValue(), back, e.getKey());
    }
  }

  @Test
  void presetListIncludesAllSitSizesAndPatches() {
    for (String size : new String[] {"S", "B", "L", "XL"}) {
      for (int p : new int[] {1, 2, 4, 8}) {
        assertEquals(p, Presets.get("SiT-" + size + "/" + p).patchSize());
      }
    }
  }

  @Test
  void unknownPresetListsTheKnownOnes() throws Exception {
    var e = rejects("preset: SiT-XXL/2\n", dir);
    assertTrue(e.getMessage().contains("'SiT-XXL/2'"), e.getMessage());
    assertTrue(e.getMessage().contains("SiT-B/2"), e.getMessage());
    assertTrue(e.getMessage().contains("sit-demo"), e.getMessage());
    assertTrue(e.getMessage().contains("bad.yaml"), e.getMessage());
  }

  @Test
  void hiddenSizeNotDivisibleByHeadsIsNamed() throws Exception {
    var e = rejects("preset: SiT-B/2\nnum_heads: 7\n", dir);
    assertTrue(e.getMessage().contains("hidden_size 768"), e.getMessage());
    assertTrue(e.getMessage().contains("num_heads 7"), e.getMessage());
  }

  @Test
  void igDepthBeyondDepthIsNamed() throws Exception {
    var e = rejects("preset: SiT-B/2\nig_depth: 13\n", dir);
    assertTrue(e.getMessage().contains("ig_depth 13"), e.getMessage());
    assertTrue(e.getMessage().contains("depth 12"), e.getMessage());
  }

  @Test
  void inputSizeNotDivisibleByPatchIsNamed() throws Exception {
    var e = rejects("preset: SiT-B/2\ninput_size: 30\npatch_size: 4\n", dir);
    assertTrue(e.getMessage().contains("input_size 30"), e.getMessage());
    assertTrue(e.getMessage().contains("patch_size 4"), e.getMessage());
  }

  @Test
  void nonPositiveSizeIsNamed() throws Exception {
    var e = rejects("preset: sit-tiny\ndepth: 0\n", dir);
    assertTrue(e.getMessage().contains("depth must be a positive integer, got 0"), e.getMessage());
  }

  @Test
  void lightningDitOnlyKeyIsRejectedForSit() throws Exception {
    var e = rejects("preset: SiT-B/2\nqk_norm: true\n", dir);
    assertTrue(e.getMessage().contains("qk_norm"), e.getMessage());
    assertTrue(e.getMessage().contains("lightningdit"), e.getMessage());
  }

  @Test
  void missingKeysWithoutPresetAreListed() throws Exception {
    var e = rejects("family: sit\ninput_size: 32\n", dir);
    assertTrue(e.getMessage().contains("hidden_size"), e.getMessage());
    assertTrue(e.getMessage().contains("ig_depth"), e.getMessage());
  }

  @Test
  void unknownKeyIsNamed() throws Exception {
    var e = rejects("preset: SiT-B/2\nhiden_size: 4\n", dir);
    assertTrue(e.getMessage().contains("hiden_size"), e.getMessage());
  }

  @Test
  void unknownFamilyListsTheChoices() throws Exception {
    var e = rejects(FULL_SIT.replace("family: sit", "family: dit"), dir);
    assertTrue(e.getMessage().contains("family"), e.getMessage());
    assertTrue(e.getMessage().contains("sit, lightningdit"), e.getMessage());
  }

  @Test
  void timeConventionIsReadInAnyCaseAndWrittenInLowerCase() throws Exception {
    ModelConfig cfg = ModelConfig.load(write(FULL_SIT + "time_convention: LightningDiT\n"));
    assertEquals(TimeConvention.LIGHTNINGDIT, cfg.timeConvention());
    assertEquals("lightningdit", cfg.toMap().get("time_convention"));
  }

  @Test
  void unknownTimeConventionListsTheChoices() throws Exception {
    var e = rejects(FULL_SIT + "time_convention: edm\n", dir);
    assertTrue(e.getMessage().contains("key 'time_convention'"), e.getMessage());
    assertTrue(e.getMessage().contains("one of sit, lightningdit, got 'edm'"), e.getMessage());
  }

  @Test
  void ropeNeedsAHeadDimDivisibleByFour() throws Exception {
    var e = rejects("preset: lightningdit-tiny\nnum_heads: 4\nhidden_size: 40\n", dir);
    assertTrue(e.getMessage().contains("head dim"), e.getMessage());
    assertTrue(e.getMessage().contains("10"), e.getMessage());
  }
}
