package ai.igspark.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.igspark.data.InvalidInputException;
import ai.igspark.tensor.DeviceTransfer;
import ai.igspark.tensorfile.HostTensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The model's state dict: every entry under its official PyTorch name, in declaration order, as
 * a plain NDArray owned by the model's manager. Modules declare their entries when built and read
 * them by name in forward, so loading a checkpoint only swaps arrays here.
 */
final class ModelState {
  /** Trainable parameters get gradients; frozen ones and buffers do not. */
  enum Kind {
    TRAINABLE,
    FROZEN_PARAMETER,
    BUFFER
  }

  private record Entry(Shape shape, Kind kind, Init init) {}

  private final NDManager manager;
  private final Map<String, Entry> entries = new LinkedHashMap<>();
  private final Map<String, NDArray> values = new LinkedHashMap<>();

  ModelState(NDManager manager) {
    this.manager = manager;
  }

  NDManager manager() {
    return manager;
  }

  void declare(String name, Shape shape, Kind kind, Init init) {
    if (entries.put(name, new Entry(shape, kind, init)) != null) {
      throw new IllegalStateException("declared twice: " + name);
    }
  }

  void trainable(String name, Shape shape, Init init) {
    declare(name, shape, Kind.TRAINABLE, init);
  }

  NDArray get(String name) {
    NDArray v = values.get(name);
    if (v == null) {
      throw new IllegalStateException("no state entry " + name);
    }
    return v;
  }

  /**
   * Gives every entry its first value. Each entry draws from its own stream seeded by (seed,
   * name), so values do not depend on declaration order.
   */
  void initialize(long seed) {
    for (Map.Entry<String, Entry> e : entries.entrySet()) {
      Entry entry = e.getValue();
      float[] data = new float[Math.toIntExact(entry.shape().size())];
      long stream = seed * 0x9E3779B97F4A7C15L + e.getKey().hashCode();
      entry.init().fill(data, new SplittableRandom(stream));
      put(e.getKey(), manager.create(data, entry.shape()));
    }
  }

  private void put(String name, NDArray value) {
    value.setName(name);
    if (entries.get(name).kind() == Kind.TRAINABLE) {
      value.setRequiresGradient(true);
    }
    NDArray old = values.put(name, value);
    if (old != null) {
      old.close();
    }
  }

  LinkedHashMap<String, NDArray> asMap() {
    return new LinkedHashMap<>(values);
  }

  List<String> names(Kind kind) {
    List<String> out = new ArrayList<>();
    entries.forEach((name, e) -> {
      if (e.kind() == kind) {
        out.add(name);
      }
    });
    return out;
  }

  /**
   * Replaces every entry with the given tensors. Strict: any missing, unexpected or mis-shaped
   * key fails the whole load, before anything is replaced, with a message that lists them all.
   */
  void load(Map<String, HostTensor> tensors, String source) {
    List<String> missing = new ArrayList<>();
    List<String> misShaped = new ArrayList<>();
    List<String> unexpected = new ArrayList<>();
    for (Map.Entry<String, Entry> e : entries.entrySet()) {
      HostTensor t = tensors.get(e.getKey());
      long[] want = e.getValue().shape().getShape();
      if (t == null) {
        missing.add(e.getKey() + " " + Arrays.toString(want));
      } else if (!Arrays.equals(t.shape(), want)) {
        misShaped.add(
            e.getKey()
                + " (expected "
                + Arrays.toString(want)
                + ", got "
                + Arrays.toString(t.shape())
                + ")");
      } else if (!t.dtype().isFloatingPoint()) {
        misShaped.add(e.getKey() + " (expected a floating-point tensor, got " + t.dtype() + ")");
      }
    }
    for (Map.Entry<String, HostTensor> t : tensors.entrySet()) {
      if (!entries.containsKey(t.getKey())) {
        unexpected.add(t.getKey() + " " + Arrays.toString(t.getValue().shape()));
      }
    }
    if (!missing.isEmpty() || !misShaped.isEmpty() || !unexpected.isEmpty()) {
      StringBuilder sb = new StringBuilder(source + ": state dict does not match the model config");
      section(sb, "missing keys", missing);
      section(sb, "mis-shaped keys", misShaped);
      section(sb, "unexpected keys", unexpected);
      throw new InvalidInputException(sb.toString());
    }
    for (Map.Entry<String, Entry> e : entries.entrySet()) {
      float[] data = tensors.get(e.getKey()).toFloats();
      put(e.getKey(), manager.create(data, e.getValue().shape()));
    }
  }

  private static void section(StringBuilder sb, String title, List<String> items) {
    if (!items.isEmpty()) {
      sb.append("; ").append(items.size()).append(' ').append(title).append(": ");
      // A checkpoint for another model size mismatches everywhere: the first few say enough.
      int shown = Math.min(items.size(), 12);
      sb.append(String.join(", ", items.subList(0, shown)));
      if (shown < items.size()) {
        sb.append(", … and ").append(items.size() - shown).append(" more");
      }
    }
  }

  /** Copies every entry to host memory (float32), in state-dict order. */
  LinkedHashMap<String, HostTensor> toHost() {
    LinkedHashMap<String, HostTensor> out = new LinkedHashMap<>();
    values.forEach((name, v) -> {
      NDArray f = v.getDataType() == DataType.FLOAT32 ? v : v.toType(DataType.FLOAT32, false);
      out.put(name, HostTensor.ofFloats(v.getShape().getShape(), DeviceTransfer.download(f)));
    });
    return out;
  }
}
