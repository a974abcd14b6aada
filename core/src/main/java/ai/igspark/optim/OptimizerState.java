package ai.igspark.optim;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.igspark.data.InvalidInputException;
import ai.igspark.tensor.DeviceTransfer;
import java.util.LinkedHashMap;
import java.util.Map;

/** Named float32 optimizer buffers in their own manager, plus the step count. */
final class OptimizerState {
  static final String STEP = "step";

  private final NDManager manager;
  private final Map<String, NDArray> buffers = new LinkedHashMap<>();
  private NDArray stepTensor;
  private long stepTensorValue;
  private long steps;

  OptimizerState(NDManager parent) {
    this.manager = parent.newSubManager();
  }

  /** The buffer {@code name}; created as zeros on first use, shape-checked after a load. */
  NDArray buffer(String name, Shape shape) {
    NDArray b =
        buffers.computeIfAbsent(name, k -> persistent(manager.zeros(shape, DataType.FLOAT32)));
    if (!b.getShape().equals(shape)) {
      throw new InvalidInputException(
          "optimizer state '" + name + "': shape " + b.getShape() + ", expected " + shape);
    }
    return b;
  }

  /** State outlives any {@link NDScope} the caller or the step may have open. */
  private static NDArray persistent(NDArray a) {
    NDScope.unregister(a);
    return a;
  }

  long steps() {
    return steps;
  }

  long increment() {
    return ++steps;
  }

  /** Live buffers plus an int64 scalar {@code step}; empty before the first step. */
  Map<String, NDArray> export() {
    Map<String, NDArray> out = new LinkedHashMap<>(buffers);
    if (steps == 0 && buffers.isEmpty()) {
      return out;
    }
    if (stepTensor == null || stepTensorValue != steps) { // no device read to compare
      if (stepTensor != null) {
        stepTensor.close();
      }
      stepTensor = persistent(manager.create(steps));
      stepTensorValue = steps;
    }
    out.put(STEP, stepTensor);
    return out;
  }

  /** Loaded state is float32, as every buffer the optimizers keep. */
  static void requireFloat32(String name, NDArray src) {
    if (src.getDataType() != DataType.FLOAT32) {
      throw new InvalidInputException(
          "optimizer state '" + name + "': dtype " + src.getDataType() + ", expected float32");
    }
  }

  void load(Map<String, NDArray> state) {
    NDArray step = state.get(STEP);
    if (step == null || step.getShape().size() != 1) {
      throw new InvalidInputException(
          "optimizer state: tensor '" + STEP + "' is missing or not a scalar");
    }
    Map<String, NDArray> loaded = new LinkedHashMap<>();
    for (Map.Entry<String, NDArray> e : state.entrySet()) {
      if (e.getKey().equals(STEP)) {
        continue;
      }
      NDArray src = e.getValue();
      requireFloat32(e.getKey(), src);
      loaded.put(e.getKey(), persistent(DeviceTransfer.upload(manager, DeviceTransfer.download(src), src.getShape())));
    }
    buffers.values().forEach(NDArray::close);
    buffers.clear();
    buffers.putAll(loaded);
    steps = ((Number) step.toArray()[0]).longValue();
  }
}
