package ai.igspark.optim;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.igspark.data.InvalidInputException;
import ai.igspark.tensor.DeviceTransfer;
import ai.igspark.tensor.FlatLayout;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The state buffers of a flat optimizer: for each buffer kind ({@code exp_avg}, {@code
 * momentum_buffer}, …) one contiguous float32 buffer per {@link FlatLayout} group, zero at first,
 * and per-parameter views of them named {@code "<param>.<kind>"} for checkpoints, so the exported
 * state is the per-parameter code's. The layout is known at the first step; state loaded before
 * it waits until then.
 */
final class FlatMoments {
  private final String owner;
  private final List<String> kinds;
  private final NDManager manager;
  private FlatLayout layout;
  /** buffers.get(kind).get(group). */
  private final List<List<NDArray>> buffers = new ArrayList<>();
  private final Map<String, NDArray> views = new LinkedHashMap<>();
  private final Map<String, NDArray> pending = new LinkedHashMap<>();

  /**
   * @param owner the optimizer's name, for errors
   * @param kinds the buffer kinds, in export order per parameter
   * @param manager buffers live in a sub-manager of it
   */
  FlatMoments(String owner, List<String> kinds, NDManager manager) {
    this.owner = owner;
    this.kinds = List.copyOf(kinds);
    this.manager = manager.newSubManager();
  }

  /** The layout bound at the first step, or null before it. */
  FlatLayout layout() {
    return layout;
  }

  /**
   * Binds the buffers to {@code planned} on the first call (writing any loaded state into them);
   * later calls check that the parameters are still the same.
   */
  void bind(FlatLayout planned) {
    if (layout != null) {
      if (!layout.names().equals(planned.names()) || !layout.shapes().equals(planned.shapes())) {
        throw new IllegalArgumentException(
            owner + ": the parameters changed names or shapes since the first step");
      }
      return;
    }
    for (int kind = 0; kind < kinds.size(); kind++) {
      buffers.add(new ArrayList<>());
    }
    for (FlatLayout.Group g : planned.groups()) {
      List<List<NDArray>> groupViews = new ArrayList<>();
      for (int kind = 0; kind < kinds.size(); kind++) {
        NDArray b = persistent(manager.zeros(new Shape(g.floats()), DataType.FLOAT32));
        buffers.get(kind).add(b);
        List<NDArray> v = planned.views(b, g);
        v.forEach(FlatMoments::persistent);
        groupViews.add(v);
      }
      for (int k = 0; k < g.count(); k++) {
        String name = planned.names().get(g.first() + k);
        for (int kind = 0; kind < kinds.size(); kind++) {
          views.put(name + "." + kinds.get(kind), groupViews.get(kind).get(k));
        }
      }
    }
    layout = planned;
    for (Map.Entry<String, NDArray> e : pending.entrySet()) {
      copyInto(view(e.getKey()), e.getKey(), e.getValue());
      e.getValue().close();
    }
    pending.clear();
  }

  /** The flat buffer of {@code kind} (an index into the kinds) for group {@code group}. */
  NDArray flat(int kind, int group) {
    return buffers.get(kind).get(group);
  }

  /** The per-parameter views (or the loaded state still waiting for the first step). */
  Map<String, NDArray> export() {
    return layout == null ? pending : views;
  }

  /** Replaces the buffers by copies of {@code state} (no step count); unnamed ones restart at 0. */
  void load(Map<String, NDArray> state) {
    if (layout == null) {
      pending.values().forEach(NDArray::close);
      pending.clear();
      state.forEach((name, src) -> {
        OptimizerState.requireFloat32(name, src);
        pending.put(name, persistent(
            DeviceTransfer.upload(manager, DeviceTransfer.download(src), src.getShape())));
      });
      return;
    }
    for (Map.Entry<String, NDArray> e : state.entrySet()) {
      OptimizerState.requireFloat32(e.getKey(), e.getValue());
      checkShape(view(e.getKey()), e.getKey(), e.getValue());
    }
    buffers.forEach(kind -> kind.forEach(b -> b.set(new NDIndex(":"), 0f)));
    state.forEach((name, src) -> copyInto(views.get(name), name, src));
  }

  private NDArray view(String name) {
    NDArray view = views.get(name);
    if (view == null) {
      throw new InvalidInputException(
          "optimizer state '" + name + "': no such " + owner + " buffer for these parameters");
    }
    return view;
  }

  private static void copyInto(NDArray view, String name, NDArray src) {
    checkShape(view, name, src);
    DeviceTransfer.writeInto(view, FloatBuffer.wrap(DeviceTransfer.download(src)));
  }

  private static void checkShape(NDArray view, String name, NDArray src) {
    if (!view.getShape().equals(src.getShape())) {
      throw new InvalidInputException("optimizer state '" + name + "': shape " + src.getShape()
          + ", expected " + view.getShape());
    }
  }

  private static NDArray persistent(NDArray a) {
    NDScope.unregister(a);
    return a;
  }
}
