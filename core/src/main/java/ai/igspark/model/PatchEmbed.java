package ai.igspark.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.convolutional.Conv2d;

/**
 * {@code x_embedder}: Conv2d with kernel = stride = p, then tokens in row-major (h, w) order: [N,
 * C, H, W] → [N, T, D]. The weight is Xavier-initialised as if it were a Linear
 * (docs/METHOD.md §4.1).
 */
final class PatchEmbed {
  private final ModelState state;
  private final int patch;
  private final String weight;
  private final String bias;

  PatchEmbed(ModelState state, String prefix, int inChannels, int patch, int hidden) {
    this.state = state;
    this.patch = patch;
    this.weight = prefix + "proj.weight";
    this.bias = prefix + "proj.bias";
    long fanIn = (long) inChannels * patch * patch;
    state.trainable(
        weight,
        new Shape(hidden, inChannels, patch, patch),
        Init.xavierUniform(fanIn, hidden));
    state.trainable(bias, new Shape(hidden), Init.zeros());
  }

  NDArray forward(NDArray x) {
    Shape stride = new Shape(patch, patch);
    NDArray y =
        Conv2d.conv2d(
                x,
                state.get(weight),
                state.get(bias),
                stride,
                new Shape(0, 0),
                new Shape(1, 1),
                1)
            .singletonOrThrow(); // [N, D, h, w]
    Shape s = y.getShape();
    return y.reshape(s.get(0), s.get(1), s.get(2) * s.get(3)).transpose(0, 2, 1);
  }
}
