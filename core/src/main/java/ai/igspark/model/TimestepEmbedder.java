package ai.igspark.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;

/**
 * {@code t_embedder}: t ∈ [0, 1] (unscaled) → [cos(t·f_j), sin(t·f_j)] (cos first, 256 dims, f_j =
 * exp(−ln(10000)·j/128)) → Linear → SiLU → Linear (docs/METHOD.md §4.1). MLP weights N(0, 0.02).
 */
final class TimestepEmbedder {
  private final Linear mlp0;
  private final Linear mlp2;
  private final NDArray frequencies; // [1, 128], a constant, not a state entry

  TimestepEmbedder(ModelState state, String prefix, int hidden) {
    int freqDim = ParameterCount.FREQUENCY_EMBEDDING_SIZE;
    this.mlp0 = new Linear(state, prefix + "mlp.0.", freqDim, hidden, Init.normal(0.02));
    this.mlp2 = new Linear(state, prefix + "mlp.2.", hidden, hidden, Init.normal(0.02));
    int half = freqDim / 2;
    float[] f = new float[half];
    for (int j = 0; j < half; j++) {
      // float32 throughout, as torch computes exp(−ln(10000)·arange(half, float32)/half).
      f[j] = (float) Math.exp((float) (-Math.log(10000) * j) / half);
    }
    this.frequencies = state.manager().create(f).reshape(1, half);
  }

  NDArray forward(NDArray t) {
    NDArray args = t.reshape(-1, 1).mul(frequencies); // [N, 128]
    NDArray freqEmbedding = NDArrays.concat(new ai.djl.ndarray.NDList(args.cos(), args.sin()), 1);
    return mlp2.forward(Activations.silu(mlp0.forward(freqEmbedding)));
  }
}
