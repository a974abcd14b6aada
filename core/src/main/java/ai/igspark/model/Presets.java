package ai.igspark.model;

import ai.igspark.data.InvalidInputException;
import ai.igspark.model.ModelConfig.Family;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Named model shapes: the official SiT sizes (S/B/L/XL × patch 1/2/4/8 on SD-VAE latents
 * 4×32×32) and LightningDiT-XL/1 (VA-VAE latents 32×16×16) with their IG head depths
 * (docs/METHOD.md §2.1, §4), plus small presets for tests and the Fashion-MNIST demo.
 */
public final class Presets {
  private static final Map<String, ModelConfig> PRESETS = new LinkedHashMap<>();

  static {
    // name, depth, D, heads, IG head after block (§2.1: 4 for depth 12, 8 for the larger ones).
    sitSize("S", 12, 384, 6, 4);
    sitSize("B", 12, 768, 12, 4);
    sitSize("L", 24, 1024, 16, 8);
    sitSize("XL", 28, 1152, 16, 8);
    PRESETS.put(
        "LightningDiT-XL/1",
        new ModelConfig(
            Family.LIGHTNINGDIT, 16, 32, 1, 1152, 28, 16, 4.0, 1000, 8, null, false, null, true));
    // Tests: small enough that parity fixtures stay a few hundred KB.
    PRESETS.put(
        "sit-tiny",
        new ModelConfig(Family.SIT, 8, 4, 2, 32, 3, 2, 4.0, 10, 1, null, null, null, null));
    PRESETS.put(
        "lightningdit-tiny",
        new ModelConfig(
            Family.LIGHTNINGDIT, 4, 8, 1, 32, 3, 2, 4.0, 10, 1, null, false, null, true));
    // Fashion-MNIST pixels (1×32×32, 10 classes): 64 tokens, sized to train in minutes on 2 cores.
    PRESETS.put(
        "sit-demo",
        new ModelConfig(Family.SIT, 32, 1, 4, 128, 6, 4, 4.0, 10, 2, null, null, null, null));
  }

  private static void sitSize(String size, int depth, int hidden, int heads, int igDepth) {
    for (int p : new int[] {1, 2, 4, 8}) {
      PRESETS.put(
          "SiT-" + size + "/" + p,
          new ModelConfig(
              Family.SIT, 32, 4, p, hidden, depth, heads, 4.0, 1000, igDepth, null, null, null,
              null));
    }
  }

  private Presets() {}

  /** Every preset by name, in a stable order. */
  public static Map<String, ModelConfig> all() {
    return Collections.unmodifiableMap(PRESETS);
  }

  /** The preset called {@code name}; an unknown name lists the known ones. */
  public static ModelConfig get(String name) {
    return get(name, "model preset");
  }

  static ModelConfig get(String name, String source) {
    ModelConfig cfg = PRESETS.get(name);
    if (cfg == null) {
      throw new InvalidInputException(
          source
              + ": unknown preset '"
              + name
              + "'; known presets: "
              + String.join(", ", PRESETS.keySet()));
    }
    return cfg;
  }
}
