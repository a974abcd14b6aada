package ai.igspark.optim;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.igspark.data.InvalidInputException;
import ai.igspark.tensor.DeviceTransfer;
import ai.igspark.tensor.GradModeOff;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * AdamW with PyTorch's semantics ({@code torch.optim.AdamW}, single-tensor path): decoupled weight
 * decay {@code p ← p·(1 − lr·wd)}, then the bias-corrected Adam step {@code p ← p − lr/(1−β1^t) · m
 * / (sqrt(v)/sqrt(1−β2^t) + eps)}. State per parameter: {@code exp_avg}, {@code exp_avg_sq}.
 *
 * <p>Flat: the moments of each {@link FlatLayout} group live in one contiguous buffer, the
 * group's gradients are gathered with one {@code cat}, and the moment and step arithmetic runs
 * once per group; only the decay and the final {@code p ← p − step} touch each parameter. Every
 * element sees the same operations in the same order as in {@link PerParameterAdamW}, so the
 * results are bitwise equal (tested). The exported state is per parameter as before (views of the
 * flat buffers), so checkpoints are unchanged.
 */
public final class AdamW implements ParamOptimizer {

  /** SiT-track settings (docs/METHOD.md §2.5): betas (0.9, 0.999), eps 1e-8, wd 0. */
  public record Config(float beta1, float beta2, float eps, float weightDecay) {
    public static Config sit() {
      return new Config(0.9f, 0.999f, 1e-8f, 0f);
    }
  }

  /** Floats per group by default: 16 Mi floats (64 MiB), bounding each temporary of the step. */
  public static final long DEFAULT_GROUP_FLOATS = 1L << 24;

  private final Config config;
  private final long groupFloats;
  private final NDManager manager;
  /** The step count (and its exported scalar); holds no buffers itself. */
  private final OptimizerState counter;
  private FlatLayout layout;
  private final List<NDArray> expAvg = new ArrayList<>();
  private final List<NDArray> expAvgSq = new ArrayList<>();
  /** Per-parameter views of the flat moments, in export order. */
  private final Map<String, NDArray> views = new LinkedHashMap<>();
  /** Loaded per-parameter moments waiting for the first step to know the layout. */
  private final Map<String, NDArray> pending = new LinkedHashMap<>();

  /** State tensors live in a sub-manager of {@code manager}. */
  public AdamW(NDManager manager, Config config) {
    this(manager, config, DEFAULT_GROUP_FLOATS);
  }

  public AdamW(NDManager manager, Config config, long groupFloats) {
    this.config = config;
    this.groupFloats = groupFloats;
    this.manager = manager.newSubManager();
    this.counter = new OptimizerState(this.manager);
  }

  @Override
  public void step(Map<String, NDArray> params, Map<String, NDArray> grads, float lr) {
    step(params, grads, lr, 1f);
  }

  /** The clipping scale is applied to the gathered gradients: the gradients are not modified. */
  @Override
  public void step(
      Map<String, NDArray> params, Map<String, NDArray> grads, float lr, float gradScale) {
    long t = counter.increment();
    bind(params);
    double bc1 = 1 - Math.pow(config.beta1(), t);
    double bc2 = 1 - Math.pow(config.beta2(), t);
    List<NDArray> ps = new ArrayList<>(params.values());
    List<NDArray> gs = new ArrayList<>(ps.size());
    params.keySet().forEach(name -> gs.add(ParamMaps.gradient(grads, name)));
    try (GradModeOff off = new GradModeOff()) {
      for (int i = 0; i < layout.groups().size(); i++) {
        FlatLayout.Group group = layout.groups().get(i);
        try (NDScope scope = new NDScope()) { // the group's temporaries, freed before the next
          Scalars s = new Scalars();
          NDArray g = FlatBuffers.concat(FlatBuffers.members(gs, group));
          if (gradScale != 1f) {
            g.muli(s.of(g, gradScale));
          }
          NDArray m = expAvg.get(i);
          NDArray v = expAvgSq.get(i);
          m.muli(s.of(m, config.beta1())).addi(g.mul(s.of(g, 1f - config.beta1())));
          v.muli(s.of(v, config.beta2())).addi(g.square().muli(s.of(g, 1f - config.beta2())));
          NDArray denom =
              v.sqrt().divi(s.of(v, (float) Math.sqrt(bc2))).addi(s.of(v, config.eps()));
          NDArray update = m.div(denom).muli(s.of(m, (float) (lr / bc1)));
          List<NDArray> steps = FlatBuffers.views(update, layout, group);
          List<NDArray> members = FlatBuffers.members(ps, group);
          for (int k = 0; k < members.size(); k++) {
            NDArray p = members.get(k);
            if (config.weightDecay() != 0f) {
              p.muli(s.of(p, 1f - lr * config.weightDecay()));
            }
            p.subi(steps.get(k));
          }
        }
      }
    }
  }

  /** Creates the flat moments on the first step (from a loaded state, if any). */
  private void bind(Map<String, NDArray> params) {
    if (layout != null) {
      if (!layout.matches(params)) {
        throw new IllegalArgumentException(
            "AdamW: the parameters changed names or shapes since the first step");
      }
      return;
    }
    FlatLayout planned = FlatLayout.of(params, groupFloats);
    for (FlatLayout.Group g : planned.groups()) {
      expAvg.add(persistent(manager.zeros(new Shape(g.floats()), DataType.FLOAT32)));
      expAvgSq.add(persistent(manager.zeros(new Shape(g.floats()), DataType.FLOAT32)));
      List<NDArray> m = persistentAll(FlatBuffers.views(expAvg.get(expAvg.size() - 1), planned, g));
      List<NDArray> v =
          persistentAll(FlatBuffers.views(expAvgSq.get(expAvgSq.size() - 1), planned, g));
      for (int k = 0; k < g.count(); k++) {
        String name = planned.names().get(g.first() + k);
        views.put(name + ".exp_avg", m.get(k));
        views.put(name + ".exp_avg_sq", v.get(k));
      }
    }
    layout = planned;
    for (Map.Entry<String, NDArray> e : pending.entrySet()) {
      NDArray view = views.get(e.getKey());
      if (view == null) {
        throw new InvalidInputException(
            "optimizer state '" + e.getKey() + "': no such AdamW buffer for these parameters");
      }
      copyInto(view, e.getKey(), e.getValue());
      e.getValue().close();
    }
    pending.clear();
  }

  @Override
  public long steps() {
    return counter.steps();
  }

  @Override
  public Map<String, NDArray> state() {
    Map<String, NDArray> out = new LinkedHashMap<>(layout == null ? pending : views);
    out.putAll(counter.export());
    return out;
  }

  @Override
  public void loadState(Map<String, NDArray> state) {
    NDArray step = state.get(OptimizerState.STEP);
    counter.load(step == null ? Map.of() : Map.of(OptimizerState.STEP, step));
    Map<String, NDArray> buffers = new LinkedHashMap<>(state);
    buffers.remove(OptimizerState.STEP);
    if (layout == null) {
      pending.values().forEach(NDArray::close);
      pending.clear();
      buffers.forEach((name, src) -> {
        OptimizerState.requireFloat32(name, src);
        pending.put(name, persistent(DeviceTransfer.upload(manager, DeviceTransfer.download(src),
            src.getShape())));
      });
      return;
    }
    for (Map.Entry<String, NDArray> e : buffers.entrySet()) {
      if (!views.containsKey(e.getKey())) {
        throw new InvalidInputException(
            "optimizer state '" + e.getKey() + "': no such AdamW buffer for these parameters");
      }
      OptimizerState.requireFloat32(e.getKey(), e.getValue());
      if (!views.get(e.getKey()).getShape().equals(e.getValue().getShape())) {
        throw shapeError(e.getKey(), e.getValue().getShape(), views.get(e.getKey()).getShape());
      }
    }
    // Buffers the state does not name restart from zero, as a fresh per-parameter buffer would.
    expAvg.forEach(b -> b.set(new NDIndex(":"), 0f));
    expAvgSq.forEach(b -> b.set(new NDIndex(":"), 0f));
    buffers.forEach((name, src) -> copyInto(views.get(name), name, src));
  }

  private static void copyInto(NDArray view, String name, NDArray src) {
    if (!view.getShape().equals(src.getShape())) {
      throw shapeError(name, src.getShape(), view.getShape());
    }
    DeviceTransfer.writeInto(view, java.nio.FloatBuffer.wrap(DeviceTransfer.download(src)));
  }

  private static InvalidInputException shapeError(String name, Shape got, Shape expected) {
    return new InvalidInputException(
        "optimizer state '" + name + "': shape " + got + ", expected " + expected);
  }

  private static NDArray persistent(NDArray a) {
    NDScope.unregister(a);
    return a;
  }

  private static List<NDArray> persistentAll(List<NDArray> arrays) {
    arrays.forEach(AdamW::persistent);
    return arrays;
  }
}
