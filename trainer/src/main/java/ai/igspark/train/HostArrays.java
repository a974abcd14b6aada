package ai.igspark.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.igspark.tensor.DeviceTransfer;
import ai.igspark.tensorfile.DType;
import ai.igspark.tensorfile.HostTensor;
import java.util.LinkedHashMap;
import java.util.Map;

/** Copies between DJL arrays and host tensors (float32 and int64 only: what training state holds). */
final class HostArrays {
  private HostArrays() {}

  static HostTensor toHost(NDArray a) {
    long[] shape = a.getShape().getShape();
    return switch (a.getDataType()) {
      case FLOAT32 -> HostTensor.ofFloats(shape, DeviceTransfer.download(a));
      case INT64 -> HostTensor.ofLongs(shape, a.toLongArray());
      default -> throw new IllegalArgumentException("cannot store " + a.getDataType() + " state");
    };
  }

  static Map<String, HostTensor> toHost(Map<String, NDArray> arrays) {
    Map<String, HostTensor> out = new LinkedHashMap<>();
    arrays.forEach((name, a) -> out.put(name, toHost(a)));
    return out;
  }

  static NDArray toDevice(HostTensor t, NDManager manager) {
    Shape shape = new Shape(t.shape());
    if (t.dtype() == DType.I64) {
      return manager.create(t.toLongs(), shape);
    }
    return manager.create(t.toFloats(), shape).toType(DataType.FLOAT32, false);
  }

  static Map<String, NDArray> toDevice(Map<String, HostTensor> tensors, NDManager manager) {
    Map<String, NDArray> out = new LinkedHashMap<>();
    tensors.forEach((name, t) -> out.put(name, toDevice(t, manager)));
    return out;
  }
}
