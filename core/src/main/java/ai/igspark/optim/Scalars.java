package ai.igspark.optim;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import java.util.HashMap;
import java.util.Map;

/**
 * The Java scalars of one optimizer step as 0-d tensors, made once per (value, device, dtype)
 * by libtorch's {@code full} and reused for every parameter. DJL's {@code op(Number)} overloads
 * instead build a fresh scalar tensor from a Java buffer for every call: on a GPU that is one
 * host→device copy per operation, thousands per step. The operand is the same 0-d float32 tensor
 * either way, so results are bitwise those of the Number overloads. Tensors are made in the
 * caller's {@link ai.djl.ndarray.NDScope} and closed with it.
 */
public final class Scalars {
  private final Map<Key, NDArray> cache = new HashMap<>();

  private record Key(ai.djl.Device device, ai.djl.ndarray.types.DataType dtype, int bits) {}

  /** {@code value} as a 0-d tensor with {@code like}'s dtype and device. */
  public NDArray of(NDArray like, float value) {
    Key key = new Key(like.getDevice(), like.getDataType(), Float.floatToRawIntBits(value));
    NDArray s = cache.get(key);
    if (s == null || s.isReleased()) {
      s = like.getManager().full(new Shape(), value, like.getDataType());
      cache.put(key, s);
    }
    return s;
  }
}
