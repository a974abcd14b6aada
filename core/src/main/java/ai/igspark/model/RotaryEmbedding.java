package ai.igspark.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;

/**
 * LightningDiT's 2D RoPE ({@code feat_rope}, EVA-02 style, docs/METHOD.md §4.2): per head, dims [0,
 * hd/2) rotate by the token's row index and [hd/2, hd) by its column index; each frequency θ_k =
 * 10000^(−2k/(hd/2)) drives an interleaved pair (2k, 2k+1). The cos/sin tables are buffers of the
 * official state dict.
 */
final class RotaryEmbedding {
  private final ModelState state;
  private final String cosName;
  private final String sinName;

  RotaryEmbedding(ModelState state, String prefix, int headDim, int grid) {
    this.state = state;
    this.cosName = prefix + "freqs_cos";
    this.sinName = prefix + "freqs_sin";
    float[][] tables = tables(headDim, grid);
    Shape shape = new Shape((long) grid * grid, headDim);
    state.declare(cosName, shape, ModelState.Kind.BUFFER, Init.values(tables[0]));
    state.declare(sinName, shape, ModelState.Kind.BUFFER, Init.values(tables[1]));
  }

  /** {cos, sin} tables, [T, hd] row-major, tokens in (row, column) order. */
  static float[][] tables(int headDim, int grid) {
    int half = headDim / 2;
    float[] cos = new float[grid * grid * headDim];
    float[] sin = new float[cos.length];
    for (int row = 0; row < grid; row++) {
      for (int col = 0; col < grid; col++) {
        int base = (row * grid + col) * headDim;
        for (int i = 0; i < headDim; i++) {
          int axisDim = i % half;
          int pos = i < half ? row : col;
          int k = axisDim / 2; // interleaved pairs share a frequency
          float theta = (float) (1.0 / Math.pow(10000, (float) (2 * k) / half));
          float angle = pos * theta;
          cos[base + i] = (float) Math.cos(angle);
          sin[base + i] = (float) Math.sin(angle);
        }
      }
    }
    return new float[][] {cos, sin};
  }

  /** x·cos + rotate_half(x)·sin on [N, heads, T, hd]. */
  NDArray apply(NDArray x) {
    return x.mul(state.get(cosName)).add(rotateHalf(x).mul(state.get(sinName)));
  }

  /** Each interleaved pair (a, b) → (−b, a). */
  private static NDArray rotateHalf(NDArray x) {
    Shape s = x.getShape();
    int pairAxis = s.dimension(); // axis of the new trailing pair dimension
    Shape pairs = s.slice(0, pairAxis - 1).addAll(new Shape(s.tail() / 2, 2));
    NDList ab = x.reshape(pairs).split(2, pairAxis);
    return NDArrays.concat(new NDList(ab.get(1).neg(), ab.get(0)), pairAxis).reshape(s);
  }
}
