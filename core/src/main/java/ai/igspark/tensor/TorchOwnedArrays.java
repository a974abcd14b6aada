package ai.igspark.tensor;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/**
 * Float32 arrays filled from the Java heap into memory that libtorch allocates, on the manager's
 * device. {@code NDManager.create(float[])} instead copies into a fresh Java direct buffer that a
 * CPU tensor borrows; such buffers are only returned after a Java GC, so per-step noise (4 MB for
 * a 256×4×32×32 batch) would pile up as native memory between collections.
 */
public final class TorchOwnedArrays {
  private TorchOwnedArrays() {}

  public static NDArray floats(NDManager manager, float[] values, Shape shape) {
    return DeviceTransfer.upload(manager, values, shape);
  }
}
