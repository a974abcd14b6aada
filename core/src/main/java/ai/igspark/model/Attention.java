package ai.igspark.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.igspark.tensor.TorchScalar;

/**
 * timm-style multi-head self-attention: fused qkv (bias), optional per-head q/k RMSNorm
 * (LightningDiT qk_norm), optional RoPE on q and k, softmax(q·kᵀ/√hd)·v, output proj (bias).
 * DJL has no fused SDPA, so this is two batched matMuls.
 */
final class Attention {
  private final int heads;
  private final int headDim;
  private final float scale;
  private final Linear qkv;
  private final Linear proj;
  private final Norm qNorm; // null: identity
  private final Norm kNorm;
  private final RotaryEmbedding rope; // null: none

  Attention(
      ModelState state,
      String prefix,
      int hidden,
      int heads,
      boolean qkNorm,
      RotaryEmbedding rope) {
    this.heads = heads;
    this.headDim = hidden / heads;
    this.scale = (float) Math.pow(headDim, -0.5);
    this.qkv = new Linear(state, prefix + "qkv.", hidden, 3L * hidden);
    this.qNorm = qkNorm ? new RmsNorm(state, prefix + "q_norm.", headDim) : null;
    this.kNorm = qkNorm ? new RmsNorm(state, prefix + "k_norm.", headDim) : null;
    this.proj = new Linear(state, prefix + "proj.", hidden, hidden);
    this.rope = rope;
  }

  /** x: [N, T, D] → [N, T, D]. */
  NDArray forward(NDArray x) {
    Shape s = x.getShape();
    long n = s.get(0);
    long t = s.get(1);
    // [N, T, 3D] → [3, N, heads, T, hd]
    NDArray qkvHeads = qkv.forward(x).reshape(n, t, 3, heads, headDim).transpose(2, 0, 3, 1, 4);
    NDList parts = qkvHeads.split(3, 0);
    NDArray q = parts.get(0).squeeze(0);
    NDArray k = parts.get(1).squeeze(0);
    NDArray v = parts.get(2).squeeze(0);
    if (qNorm != null) {
      q = qNorm.forward(q);
      k = kNorm.forward(k);
    }
    if (rope != null) {
      q = rope.apply(q);
      k = rope.apply(k);
    }
    NDArray scaled = q.mul(TorchScalar.like(q, scale));
    NDArray weights = scaled.matMul(k.transpose(0, 1, 3, 2)).softmax(3); // [N, h, T, T]
    NDArray out = weights.matMul(v).transpose(0, 2, 1, 3).reshape(n, t, (long) heads * headDim);
    return proj.forward(out);
  }
}
