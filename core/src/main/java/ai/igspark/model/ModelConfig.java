package ai.igspark.model;

import ai.igspark.data.InvalidInputException;
import ai.igspark.data.config.TypedConfig;
import ai.igspark.diffusion.TimeConvention;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The shape of an IG diffusion transformer (docs/METHOD.md §4). Keys are spelled as in
 * config files (snake_case). A run config's {@code model:} section is either {@code {preset:
 * NAME}} with optional overrides of any key, or all the keys; see {@link #fromTree}.
 *
 * @param family sit (LayerNorm, GELU-tanh MLP) or lightningdit (RMSNorm, SwiGLU, RoPE)
 * @param inputSize latent height = width
 * @param inChannels latent channels (also the output channels: no learned sigma)
 * @param patchSize patch edge; tokens = (input_size / patch_size)²
 * @param hiddenSize transformer width D
 * @param depth number of transformer blocks
 * @param numHeads attention heads; head dim = D / heads
 * @param mlpRatio MLP width / D (SiT: fc1 width; LightningDiT: the base of the SwiGLU rule)
 * @param numClasses class count; the null (CFG) class is {@code num_classes}, so the label table
 *     has {@code num_classes + 1} rows
 * @param igDepth 1-based block after which the IG head ({@code final_layer_xr}) reads; 0 = none
 * @param timeConvention which end of t ∈ [0, 1] is noise (§10); defaults to the family's
 * @param qkNorm LightningDiT only: RMSNorm on per-head q and k (default false)
 * @param swigluHiddenSize LightningDiT only: SwiGLU hidden width H (default ⌊2/3·⌊D·mlp_ratio⌋⌋,
 *     3072 at XL)
 * @param rope LightningDiT only: 2D rotary position embedding in attention (default true)
 */
public record ModelConfig(
    @JsonProperty("family") Family family,
    @JsonProperty("input_size") int inputSize,
    @JsonProperty("in_channels") int inChannels,
    @JsonProperty("patch_size") int patchSize,
    @JsonProperty("hidden_size") int hiddenSize,
    @JsonProperty("depth") int depth,
    @JsonProperty("num_heads") int numHeads,
    @JsonProperty("mlp_ratio") double mlpRatio,
    @JsonProperty("num_classes") int numClasses,
    @JsonProperty("ig_depth") int igDepth,
    @JsonProperty("time_convention") TimeConvention timeConvention,
    @JsonProperty("qk_norm") Boolean qkNorm,
    @JsonProperty("swiglu_hidden_size") Integer swigluHiddenSize,
    @JsonProperty("rope") Boolean rope) {

  /** The two architecture tracks of the official code. */
  public enum Family {
    SIT,
    LIGHTNINGDIT;

    public String key() {
      return name().toLowerCase();
    }
  }

  /** mlp_ratio when a full model section leaves it out (every official model uses 4). */
  public static final double DEFAULT_MLP_RATIO = 4.0;

  /** Keys a full (preset-free) model section must give. */
  static final List<String> REQUIRED_KEYS =
      List.of(
          "family",
          "input_size",
          "in_channels",
          "patch_size",
          "hidden_size",
          "depth",
          "num_heads",
          "num_classes",
          "ig_depth");

  public ModelConfig {
    if (family == null) {
      throw new InvalidInputException("family is required: one of sit, lightningdit");
    }
    positive("input_size", inputSize);
    positive("in_channels", inChannels);
    positive("patch_size", patchSize);
    positive("hidden_size", hiddenSize);
    positive("depth", depth);
    positive("num_heads", numHeads);
    positive("num_classes", numClasses);
    if (!(mlpRatio > 0) || Double.isInfinite(mlpRatio)) {
      throw new InvalidInputException("mlp_ratio must be a positive number, got " + mlpRatio);
    }
    if (hiddenSize % numHeads != 0) {
      throw new InvalidInputException(
          "hidden_size "
              + hiddenSize
              + " is not divisible by num_heads "
              + numHeads
              + " (each head gets hidden_size / num_heads dims)");
    }
    // The 2D sin-cos position embedding splits D into 2 axes × (sin, cos) (§4.1).
    if (hiddenSize % 4 != 0) {
      throw new InvalidInputException(
          "hidden_size " + hiddenSize + " must be a multiple of 4 (2D sin-cos position embedding)");
    }
    if (inputSize % patchSize != 0) {
      throw new InvalidInputException(
          "input_size " + inputSize + " is not divisible by patch_size " + patchSize);
    }
    if (igDepth < 0 || igDepth > depth) {
      throw new InvalidInputException(
          "ig_depth "
              + igDepth
              + " is out of range: it must be between 0 (no IG head) and depth "
              + depth);
    }
    if (timeConvention == null) {
      timeConvention = family == Family.SIT ? TimeConvention.SIT : TimeConvention.LIGHTNINGDIT;
    }
    if (family == Family.SIT) {
      rejectForSit("qk_norm", qkNorm);
      rejectForSit("swiglu_hidden_size", swigluHiddenSize);
      rejectForSit("rope", rope);
    } else {
      qkNorm = qkNorm != null && qkNorm;
      rope = rope == null || rope;
      if (swigluHiddenSize == null) {
        // LightningDiT: SwiGLUFFN(D, int(2/3 · int(D · mlp_ratio))) (§4.2).
        swigluHiddenSize = (int) (2.0 / 3.0 * (int) (hiddenSize * mlpRatio));
      }
      positive("swiglu_hidden_size", swigluHiddenSize);
      int headDim = hiddenSize / numHeads;
      // RoPE rotates pairs on two axes: head dim = 2 axes × pairs.
      if (rope && headDim % 4 != 0) {
        throw new InvalidInputException(
            "rope needs a head dim (hidden_size / num_heads = "
                + headDim
                + ") that is a multiple of 4; set rope: false or change num_heads");
      }
    }
  }

  private static void positive(String key, int value) {
    if (value < 1) {
      throw new InvalidInputException(key + " must be a positive integer, got " + value);
    }
  }

  private static void rejectForSit(String key, Object value) {
    if (value != null) {
      throw new InvalidInputException(
          key + " (= " + value + ") applies only to family lightningdit, not sit");
    }
  }

  /**
   * Loads a model config file (YAML or JSON): either {@code preset: NAME} + overrides or all
   * keys.
   */
  public static ModelConfig load(Path file) {
    return fromTree(TypedConfig.readTree(file), file.toString());
  }

  /**
   * Builds a config from a parsed {@code model:} section (a JsonNode, a Map or a String): {@code
   * {preset: NAME, key: override, …}}, the full keys, or just a preset name. {@code source} names
   * where it came from and starts every error message (e.g. {@code "run.yaml: model"}).
   */
  public static ModelConfig fromTree(Object tree, String source) {
    JsonNode node = tree instanceof JsonNode n ? n : TypedConfig.mapper().valueToTree(tree);
    if (node != null && node.isTextual()) { // "model: SiT-B/2" is shorthand for a bare preset
      return Presets.get(node.asText(), source);
    }
    if (node == null || !node.isObject()) {
      throw new InvalidInputException(
          source + ": expected a mapping with 'preset: NAME' or the model keys, got " + node);
    }
    ObjectNode merged;
    JsonNode preset = node.get("preset");
    if (preset != null) {
      if (!preset.isTextual()) {
        throw new InvalidInputException(
            source + ": key 'preset': expected a preset name, got " + preset);
      }
      ModelConfig base = Presets.get(preset.asText(), source);
      merged = TypedConfig.mapper().valueToTree(base.toMap());
      Iterator<Map.Entry<String, JsonNode>> fields = node.fields();
      while (fields.hasNext()) {
        Map.Entry<String, JsonNode> f = fields.next();
        if (!f.getKey().equals("preset")) {
          merged.set(f.getKey(), f.getValue());
        }
      }
    } else {
      merged = ((ObjectNode) node).deepCopy();
      List<String> missing = new ArrayList<>();
      for (String key : REQUIRED_KEYS) {
        if (!merged.hasNonNull(key)) {
          missing.add(key);
        }
      }
      if (!merged.has("mlp_ratio")) {
        merged.put("mlp_ratio", DEFAULT_MLP_RATIO);
      }
      if (!missing.isEmpty()) {
        throw new InvalidInputException(
            source
                + ": missing key(s) "
                + String.join(", ", missing)
                + " (give 'preset: NAME' or all of: "
                + String.join(", ", REQUIRED_KEYS)
                + ")");
      }
    }
    return TypedConfig.convert(merged, ModelConfig.class, source);
  }

  /** The keys as a config file spells them; LightningDiT-only keys appear only for lightningdit. */
  public Map<String, Object> toMap() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("family", family.key());
    m.put("input_size", inputSize);
    m.put("in_channels", inChannels);
    m.put("patch_size", patchSize);
    m.put("hidden_size", hiddenSize);
    m.put("depth", depth);
    m.put("num_heads", numHeads);
    m.put("mlp_ratio", mlpRatio);
    m.put("num_classes", numClasses);
    m.put("ig_depth", igDepth);
    m.put("time_convention", timeConvention.key());
    if (family == Family.LIGHTNINGDIT) {
      m.put("qk_norm", qkNorm);
      m.put("swiglu_hidden_size", swigluHiddenSize);
      m.put("rope", rope);
    }
    return m;
  }

  /** Tokens per side: input_size / patch_size. */
  public int gridSize() {
    return inputSize / patchSize;
  }

  /** Tokens per image T = grid². */
  public int tokens() {
    return gridSize() * gridSize();
  }

  public int headDim() {
    return hiddenSize / numHeads;
  }

  /** SiT MLP width ⌊D · mlp_ratio⌋ (timm's Mlp). */
  public int mlpHiddenSize() {
    return (int) (hiddenSize * mlpRatio);
  }

  /** The label id that means "no class" (CFG's unconditional row). */
  public int nullClass() {
    return numClasses;
  }

  public boolean hasIgHead() {
    return igDepth > 0;
  }

  /** Same config with another ig_depth (0 removes the head). */
  public ModelConfig withIgDepth(int newIgDepth) {
    return new ModelConfig(
        family,
        inputSize,
        inChannels,
        patchSize,
        hiddenSize,
        depth,
        numHeads,
        mlpRatio,
        numClasses,
        newIgDepth,
        timeConvention,
        qkNorm,
        swigluHiddenSize,
        rope);
  }
}
