package ai.igspark.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.igspark.data.InvalidInputException;
import ai.igspark.tensor.DeviceTransfer;
import ai.igspark.tensor.FlatLayout;
import ai.igspark.tensor.FlatParameters;
import ai.igspark.tensorfile.HostTensor;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The model's state dict: every entry under its official PyTorch name, in declaration order, as
 * a plain NDArray owned by the model's manager. Modules declare their entries when built and read
 * them by name in forward, so loading a checkpoint only swaps arrays here. The trainable
 * parameters are views of flat group buffers ({@link FlatParameters}): a checkpoint load writes
 * into them, and a forward reads them through views made for it ({@link #beginForward}).
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
  /** Frozen parameters and buffers; the trainable ones live in {@link #flat}. */
  private final Map<String, NDArray> values = new LinkedHashMap<>();
  private FlatParameters flat;
  /** This thread's forward views of the trainable parameters, while a forward runs. */
  private final ThreadLocal<Map<String, NDArray>> forward = new ThreadLocal<>();

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
    Map<String, NDArray> views = forward.get();
    NDArray v = views != null ? views.get(name) : null;
    if (v == null && flat != null) {
      v = flat.views().get(name);
    }
    if (v == null) {
      v = values.get(name);
    }
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
      put(e.getKey(), data);
    }
  }

  /**
   * Opens this thread's forward: the trainable parameters are read through views made for it
   * (in grad mode they connect the graph to the flat buffers). Close with {@link #endForward}.
   */
  void beginForward() {
    if (flat != null) {
      forward.set(flat.forwardViews());
    }
  }

  void endForward() {
    forward.remove();
  }

  /** The trainable parameters' flat storage (made at the first initialize or load). */
  FlatParameters flat() {
    if (flat == null) {
      throw new IllegalStateException("the model state is not initialized");
    }
    return flat;
  }

  private void put(String name, float[] data) {
    Entry entry = entries.get(name);
    if (entry.kind() == Kind.TRAINABLE) {
      flatStorage().write(name, FloatBuffer.wrap(data));
      return;
    }
    NDArray value = manager.create(data, entry.shape());
    value.setName(name);
    NDArray old = values.put(name, value);
    if (old != null) {
      old.close();
    }
  }

  private FlatParameters flatStorage() {
    if (flat == null) {
      List<String> names = names(Kind.TRAINABLE);
      List<Shape> shapes = new ArrayList<>();
      names.forEach(n -> shapes.add(entries.get(n).shape()));
      long groupFloats = FlatLayout.defaultGroupFloats(manager.getDevice());
      flat = new FlatParameters(manager, FlatLayout.of(names, shapes, groupFloats));
    }
    return flat;
  }

  /** Every entry in declaration order; trainable ones are live views of the flat buffers. */
  LinkedHashMap<String, NDArray> asMap() {
    LinkedHashMap<String, NDArray> out = new LinkedHashMap<>();
    entries.forEach((name, e) -> out.put(name,
        e.kind() == Kind.TRAINABLE ? flat().views().get(name) : values.get(name)));
    return out;
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
      put(e.getKey(), tensors.get(e.getKey()).toFloats());
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
    asMap().forEach((name, v) -> {
      NDArray f = v.getDataType() == DataType.FLOAT32 ? v : v.toType(DataType.FLOAT32, false);
      out.put(name, HostTensor.ofFloats(v.getShape().getShape(), DeviceTransfer.download(f)));
    });
    return out;
  }
}
