package ai.igspark.tensor;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Trainable parameters stored as one contiguous float32 buffer per {@link FlatLayout} group, the
 * way FSDP's flat parameter and DDP's gradient buckets do it (docs/ARCHITECTURE.md §4.3):
 *
 * <ul>
 *   <li>the group buffers are the autograd leaves (they require grad), so backward leaves one
 *       contiguous gradient per group: clipping, the optimizer, the EMA and the gradient buckets
 *       work on whole groups, a few kernels each, with no gather;
 *   <li>a forward in grad mode reads the parameters through {@link #forwardViews()}, made afresh
 *       from the buffers (one {@code split} per group), which connects the graph to the leaves;
 *   <li>everything else reads and updates them through {@link #views()}: views made once with
 *       grad mode off, so in-place updates of a view or of its buffer are seen by both.
 * </ul>
 *
 * <p>The buffers and views are owned by a sub-manager of the one given; close that manager (or
 * this) to free them.
 */
public final class FlatParameters implements AutoCloseable {
  private final FlatLayout layout;
  private final NDManager manager;
  private final List<NDArray> buffers = new ArrayList<>();
  private final Map<String, NDArray> views = new LinkedHashMap<>();

  /** Zero parameters of {@code layout} in a sub-manager of {@code parent}, on its device. */
  public FlatParameters(NDManager parent, FlatLayout layout) {
    this.layout = layout;
    this.manager = parent.newSubManager();
    try (GradModeOff off = new GradModeOff()) {
      for (FlatLayout.Group g : layout.groups()) {
        NDArray buffer = manager.zeros(new Shape(g.floats()), DataType.FLOAT32);
        NDScope.unregister(buffer); // outlives any scope open around its creation
        buffer.setRequiresGradient(true);
        buffers.add(buffer);
      }
      namedViews(buffers).forEach((name, v) -> {
        NDScope.unregister(v);
        v.setName(name);
        views.put(name, v);
      });
    }
  }

  public FlatLayout layout() {
    return layout;
  }

  /** Group {@code i}'s buffer: the autograd leaf. Update it only with grad mode off. */
  public NDArray buffer(int i) {
    return buffers.get(i);
  }

  /** The parameters by name, in layout order: live views of the buffers (do not close them). */
  public Map<String, NDArray> views() {
    return Collections.unmodifiableMap(views);
  }

  /** Overwrites parameter {@code name} with the next floats of {@code host} (row-major). */
  public void write(String name, FloatBuffer host) {
    NDArray view = views.get(name);
    if (view == null) {
      throw new IllegalArgumentException("no flat parameter " + name);
    }
    try (GradModeOff off = new GradModeOff()) {
      DeviceTransfer.writeInto(view, host);
    }
  }

  /**
   * The parameters for one forward: in grad mode, fresh views of the buffers in the caller's
   * {@link NDScope}, through which backward reaches the buffers; otherwise {@link #views()}.
   */
  public Map<String, NDArray> forwardViews() {
    return JniUtils.isGradMode() ? namedViews(buffers) : views();
  }

  /** Views of one array per group ({@code flats}) as the parameters they hold, by name. */
  private Map<String, NDArray> namedViews(List<NDArray> flats) {
    Map<String, NDArray> out = new LinkedHashMap<>();
    for (int i = 0; i < flats.size(); i++) {
      FlatLayout.Group g = layout.groups().get(i);
      List<NDArray> groupViews = layout.views(flats.get(i), g);
      for (int k = 0; k < groupViews.size(); k++) {
        out.put(layout.names().get(g.first() + k), groupViews.get(k));
      }
    }
    return out;
  }

  /**
   * Each group's accumulated gradient, one contiguous array per group sharing the gradient's
   * memory (writes into it are the gradient), in the caller's {@link NDScope}.
   */
  public List<NDArray> gradients() {
    List<NDArray> out = new ArrayList<>(buffers.size());
    for (NDArray b : buffers) {
      out.add(b.getGradient());
    }
    return out;
  }

  /** The gradients by parameter name: views of {@link #gradients()}, in the caller's scope. */
  public Map<String, NDArray> gradientViews() {
    return namedViews(gradients());
  }

  /** Sets every gradient to zero in place: one fill per group (also clears NaN). */
  public void zeroGradients() {
    for (NDArray b : buffers) {
      JniUtils.zeroGrad((PtNDArray) b);
    }
  }

  @Override
  public void close() {
    manager.close();
  }
}
