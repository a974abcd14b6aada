package ai.igspark.optim;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.igspark.tensor.FlatLayout;
import java.util.List;

/**
 * Gathering a group's tensors into one flat buffer (one {@code cat}) and viewing a flat buffer as
 * the group's tensors ({@code split} + {@code reshape}: libtorch views that share the buffer's
 * storage, so in-place updates of the buffer are seen through them and writes into them reach it).
 */
final class FlatBuffers {
  private FlatBuffers() {}

  /**
   * {@code arrays} concatenated, each row-major, as a 1-D array: a new one (one {@code cat}), or
   * for a single array a view of it (no copy), so read the result, never write into it.
   */
  static NDArray concat(List<NDArray> arrays) {
    if (arrays.size() == 1) {
      return arrays.get(0).reshape(-1);
    }
    NDList flat = new NDList(arrays.size());
    for (NDArray a : arrays) {
      flat.add(a.reshape(-1));
    }
    return NDArrays.concat(flat);
  }

  /** {@code arrays} concatenated as by {@link #concat}, always into a new array (a copy). */
  static NDArray copy(List<NDArray> arrays) {
    return arrays.size() == 1 ? arrays.get(0).reshape(-1).duplicate() : concat(arrays);
  }

  /**
   * Group {@code g}'s gradients among {@code grads} as one flat array, times {@code scale} (the
   * clipping factor; 1: none). Read it, never write into it: it may be a view of the gradient.
   */
  static NDArray scaledGradients(
      List<NDArray> grads, FlatLayout.Group g, float scale, Scalars s) {
    return scaled(concat(members(grads, g)), scale, s);
  }

  /**
   * {@code grad} times {@code scale} as a new array, or {@code grad} itself for 1: never in place,
   * since {@code grad} may be a gradient or a view of one.
   */
  static NDArray scaled(NDArray grad, float scale, Scalars s) {
    return scale != 1f ? grad.mul(s.of(grad, scale)) : grad;
  }

  /** The arrays of group {@code g} among {@code all} (in layout order). */
  static List<NDArray> members(List<NDArray> all, FlatLayout.Group g) {
    return all.subList(g.first(), g.first() + g.count());
  }
}
