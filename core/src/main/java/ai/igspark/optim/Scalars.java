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
 * caller's {@link ai.djl.ndarray.NDScope} and closed with it; those of {@link #unscoped()} outlive
 * inner scopes (a flat optimizer's per-group scopes) and are closed by {@link #close()}.
 */
public final class Scalars implements AutoCloseable {
  private final Map<Key, NDArray> cache = new HashMap<>();
  private final boolean unscoped;

  /** Scalars closed with the caller's innermost scope. */
  public Scalars() {
    this(false);
  }

  private Scalars(boolean unscoped) {
    this.unscoped = unscoped;
  }

  /** Scalars in no scope, made once for all the groups of a step: close them after it. */
  public static Scalars unscoped() {
    return new Scalars(true);
  }

  private record Key(ai.djl.Device device, ai.djl.ndarray.types.DataType dtype, int bits) {}

  /** {@code value} as a 0-d tensor with {@code like}'s dtype and device. */
  public NDArray of(NDArray like, float value) {
    Key key = new Key(like.getDevice(), like.getDataType(), Float.floatToRawIntBits(value));
    NDArray s = cache.get(key);
    if (s == null || s.isReleased()) {
      s = like.getManager().full(new Shape(), value, like.getDataType());
      if (unscoped) {
        ai.djl.ndarray.NDScope.unregister(s);
      }
      cache.put(key, s);
    }
    return s;
  }

  /** Closes the scalars made so far (those of a scope may be closed already). */
  @Override
  public void close() {
    cache.values().forEach(NDArray::close);
    cache.clear();
  }
}
