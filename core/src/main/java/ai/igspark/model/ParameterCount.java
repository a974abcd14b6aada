package ai.igspark.model;

import ai.igspark.model.ModelConfig.Family;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Analytic parameter count of an {@link IgDiT}, by part, without allocating anything. Counts
 * every entry of the official state dict that is an {@code nn.Parameter}, including the frozen
 * {@code pos_embed} (docs/METHOD.md §4 tables); buffers such as the RoPE tables are not
 * parameters and are left out.
 *
 * @param xEmbedder patch embedding (conv weight and bias)
 * @param posEmbed fixed 2D sin-cos position embedding (frozen)
 * @param tEmbedder timestep MLP
 * @param yEmbedder label table (num_classes + 1 rows)
 * @param blocks all transformer blocks
 * @param finalLayer the final layer
 * @param igHead the IG head {@code final_layer_xr} (0 without one)
 */
public record ParameterCount(
    long xEmbedder,
    long posEmbed,
    long tEmbedder,
    long yEmbedder,
    long blocks,
    long finalLayer,
    long igHead) {

  /** Frequency vector width of the timestep embedding (§4.1). */
  static final int FREQUENCY_EMBEDDING_SIZE = 256;

  public static ParameterCount of(ModelConfig cfg) {
    long d = cfg.hiddenSize();
    long patchDim = (long) cfg.patchSize() * cfg.patchSize() * cfg.inChannels();
    long xEmbedder = linear(patchDim, d);
    long posEmbed = (long) cfg.tokens() * d;
    long tEmbedder = linear(FREQUENCY_EMBEDDING_SIZE, d) + linear(d, d);
    long yEmbedder = (cfg.numClasses() + 1L) * d;
    long block = linear(d, 3 * d) + linear(d, d) + linear(d, 6 * d);
    if (cfg.family() == Family.SIT) {
      block += linear(d, cfg.mlpHiddenSize()) + linear(cfg.mlpHiddenSize(), d);
    } else {
      long h = cfg.swigluHiddenSize();
      block += linear(d, 2 * h) + linear(h, d) + 2 * d; // w12, w3, norm1, norm2
      if (cfg.qkNorm()) {
        block += 2L * cfg.headDim();
      }
    }
    long finalLayer = linear(d, 2 * d) + linear(d, patchDim);
    if (cfg.family() == Family.LIGHTNINGDIT) {
      finalLayer += d; // norm_final weight
    }
    long igHead = cfg.hasIgHead() ? finalLayer : 0;
    return new ParameterCount(
        xEmbedder, posEmbed, tEmbedder, yEmbedder, block * cfg.depth(), finalLayer, igHead);
  }

  private static long linear(long in, long out) {
    return in * out + out;
  }

  public long total() {
    return xEmbedder + posEmbed + tEmbedder + yEmbedder + blocks + finalLayer + igHead;
  }

  /** Everything except the frozen position embedding. */
  public long trainable() {
    return total() - posEmbed;
  }

  public long withoutIgHead() {
    return total() - igHead;
  }

  /** Parts by their state-dict prefix, in forward order. */
  public Map<String, Long> parts() {
    Map<String, Long> m = new LinkedHashMap<>();
    m.put("x_embedder", xEmbedder);
    m.put("pos_embed", posEmbed);
    m.put("t_embedder", tEmbedder);
    m.put("y_embedder", yEmbedder);
    m.put("blocks", blocks);
    m.put("final_layer", finalLayer);
    m.put("final_layer_xr", igHead);
    return m;
  }
}
