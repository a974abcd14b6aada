package ai.igspark.model;

import ai.igspark.model.ModelConfig.Family;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The trainable parameters' shapes of a model config under the official state-dict names,
 * without allocating them: what benchmarks and size tests need to work at SiT-XL/2 scale (2.7 GB
 * of gradient) without building the model. The frozen {@code pos_embed} is left out; the sizes
 * add up to {@link ParameterCount#trainable()}.
 */
public final class ParameterShapes {
  private ParameterShapes() {}

  /** Name → shape, in state-dict order. */
  public static Map<String, long[]> of(ModelConfig cfg) {
    long d = cfg.hiddenSize();
    long c = cfg.inChannels();
    long p = cfg.patchSize();
    Map<String, long[]> m = new LinkedHashMap<>();
    m.put("x_embedder.proj.weight", new long[] {d, c, p, p});
    m.put("x_embedder.proj.bias", new long[] {d});
    linear(m, "t_embedder.mlp.0", ParameterCount.FREQUENCY_EMBEDDING_SIZE, d);
    linear(m, "t_embedder.mlp.2", d, d);
    m.put("y_embedder.embedding_table.weight", new long[] {cfg.numClasses() + 1L, d});
    for (int i = 0; i < cfg.depth(); i++) {
      String b = "blocks." + i + ".";
      if (cfg.family() == Family.SIT) {
        linear(m, b + "attn.qkv", d, 3 * d);
        linear(m, b + "attn.proj", d, d);
        linear(m, b + "mlp.fc1", d, cfg.mlpHiddenSize());
        linear(m, b + "mlp.fc2", cfg.mlpHiddenSize(), d);
      } else {
        m.put(b + "norm1.weight", new long[] {d});
        linear(m, b + "attn.qkv", d, 3 * d);
        if (cfg.qkNorm()) {
          m.put(b + "attn.q_norm.weight", new long[] {cfg.headDim()});
          m.put(b + "attn.k_norm.weight", new long[] {cfg.headDim()});
        }
        linear(m, b + "attn.proj", d, d);
        m.put(b + "norm2.weight", new long[] {d});
        linear(m, b + "mlp.w12", d, 2L * cfg.swigluHiddenSize());
        linear(m, b + "mlp.w3", cfg.swigluHiddenSize(), d);
      }
      linear(m, b + "adaLN_modulation.1", d, 6 * d);
    }
    finalLayer(m, "final_layer", cfg);
    if (cfg.hasIgHead()) {
      finalLayer(m, "final_layer_xr", cfg);
    }
    return m;
  }

  /** Element counts in state-dict order. */
  public static long[] sizes(ModelConfig cfg) {
    return of(cfg).values().stream()
        .mapToLong(s -> {
          long n = 1;
          for (long v : s) {
            n *= v;
          }
          return n;
        })
        .toArray();
  }

  private static void finalLayer(Map<String, long[]> m, String name, ModelConfig cfg) {
    long d = cfg.hiddenSize();
    if (cfg.family() == Family.LIGHTNINGDIT) {
      m.put(name + ".norm_final.weight", new long[] {d});
    }
    linear(m, name + ".linear", d, (long) cfg.patchSize() * cfg.patchSize() * cfg.inChannels());
    linear(m, name + ".adaLN_modulation.1", d, 2 * d);
  }

  private static void linear(Map<String, long[]> m, String name, long in, long out) {
    m.put(name + ".weight", new long[] {out, in});
    m.put(name + ".bias", new long[] {out});
  }
}
