package ai.igspark.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.igspark.tensor.TorchScalar;

/**
 * adaLN conditioning ({@code adaLN_modulation = Sequential(SiLU, Linear(D → k·D))}): c → k
 * chunks of [N, 1, D] in the official order (shift, scale, gate, …). Zero-initialised by
 * default (adaLN-Zero), so a fresh block is the identity.
 */
final class AdaLn {
  private final Linear linear;
  private final int chunks;

  AdaLn(ModelState state, String prefix, int hidden, int chunks, Init weightInit) {
    this.linear =
        new Linear(
            state, prefix + "adaLN_modulation.1.", hidden, (long) chunks * hidden, weightInit);
    this.chunks = chunks;
  }

  /** c: [N, D] → chunks, each [N, 1, D] to broadcast over tokens. */
  NDList forward(NDArray c) {
    NDArray m = linear.forward(Activations.silu(c));
    NDList out = new NDList(chunks);
    for (NDArray chunk : m.split(chunks, 1)) {
      out.add(chunk.expandDims(1));
    }
    return out;
  }

  /** modulate(x, shift, scale) = x·(1 + scale) + shift (docs/METHOD.md §10). */
  static NDArray modulate(NDArray x, NDArray shift, NDArray scale) {
    return x.mul(scale.add(TorchScalar.like(scale, 1f))).add(shift);
  }
}
