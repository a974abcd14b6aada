package ai.igspark.tensor;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;

/**
 * Scalars for arithmetic that autograd records. Use {@code x.mul(TorchScalar.like(x, c))}, never
 * DJL's {@code x.mul(c)}: DJL's Number overloads ({@code mul}, {@code div}, {@code maximum},
 * {@code pow}, …) put c in a Java direct buffer that libtorch borrows, and close that tensor as
 * soon as the op returns. Autograd keeps it for backward, and once a GC has freed the buffer,
 * backward multiplies by whatever the memory holds now (docs/RELIABILITY.md, "Determinism";
 * {@code GarbageCollectionDuringBackwardTest}). A scalar made by {@code full} lives in libtorch's
 * own memory, which the autograd graph keeps alive by reference count.
 *
 * <p>Code that autograd does not record (samplers, optimizers) may keep DJL's Number overloads:
 * there the op has finished with the scalar before DJL closes it.
 */
public final class TorchScalar {
  private TorchScalar() {}

  /** A 0-d tensor holding {@code value}, with {@code like}'s dtype, device and manager. */
  public static NDArray like(NDArray like, float value) {
    return like.getManager().full(new Shape(), value, like.getDataType());
  }
}
