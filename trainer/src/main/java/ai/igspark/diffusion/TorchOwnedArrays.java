package ai.igspark.diffusion;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.nio.ByteOrder;

/**
 * Float32 arrays filled from the Java heap into memory that libtorch allocates. {@code
 * NDManager.create(float[])} instead copies into a fresh Java direct buffer that the tensor
 * borrows; such buffers are only returned after a Java GC, so per-step noise (4 MB for a
 * 256×4×32×32 batch) would pile up as native memory between collections.
 */
final class TorchOwnedArrays {
  private TorchOwnedArrays() {}

  static NDArray floats(NDManager manager, float[] values, Shape shape) {
    NDArray a = manager.create(shape, DataType.FLOAT32);
    a.toByteBuffer(true).order(ByteOrder.nativeOrder()).asFloatBuffer().put(values);
    return a;
  }
}
