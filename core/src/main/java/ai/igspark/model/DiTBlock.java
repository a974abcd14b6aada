package ai.igspark.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.igspark.model.ModelConfig.Family;

/**
 * One adaLN-Zero transformer block (docs/METHOD.md §4.1; LightningDiT swaps in RMSNorm, SwiGLU and
 * RoPE):
 *
 * <pre>
 *   (shift₁, scale₁, gate₁, shift₂, scale₂, gate₂) = adaLN(c)
 *   x ← x + gate₁ · Attn(modulate(norm1(x), shift₁, scale₁))
 *   x ← x + gate₂ · MLP(modulate(norm2(x), shift₂, scale₂))
 * </pre>
 */
final class DiTBlock {
  private final Norm norm1;
  private final Attention attn;
  private final Norm norm2;
  private final FeedForward mlp;
  private final AdaLn adaLn;

  DiTBlock(ModelState state, String prefix, ModelConfig cfg, RotaryEmbedding rope) {
    int d = cfg.hiddenSize();
    boolean lightning = cfg.family() == Family.LIGHTNINGDIT;
    // Declaration order follows the official module order, so the state dict lists alike.
    this.norm1 = Norm.of(cfg, state, prefix + "norm1.", d);
    this.attn =
        new Attention(
            state, prefix + "attn.", d, cfg.numHeads(), lightning && cfg.qkNorm(), rope);
    this.norm2 = Norm.of(cfg, state, prefix + "norm2.", d);
    this.mlp =
        lightning
            ? new SwiGlu(state, prefix + "mlp.", d, cfg.swigluHiddenSize())
            : new Mlp(state, prefix + "mlp.", d, cfg.mlpHiddenSize());
    this.adaLn = new AdaLn(state, prefix, d, 6, Init.zeros());
  }

  /** x: [N, T, D], c: [N, D]. */
  NDArray forward(NDArray x, NDArray c) {
    NDList m = adaLn.forward(c);
    NDArray shiftMsa = m.get(0), scaleMsa = m.get(1), gateMsa = m.get(2);
    NDArray shiftMlp = m.get(3), scaleMlp = m.get(4), gateMlp = m.get(5);
    x = x.add(gateMsa.mul(attn.forward(AdaLn.modulate(norm1.forward(x), shiftMsa, scaleMsa))));
    x = x.add(gateMlp.mul(mlp.forward(AdaLn.modulate(norm2.forward(x), shiftMlp, scaleMlp))));
    return x;
  }
}
