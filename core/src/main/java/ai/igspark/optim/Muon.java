package ai.igspark.optim;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.igspark.tensor.FlatLayout;
import ai.igspark.tensor.GradModeOff;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Muon with an auxiliary Adam, as LightningDiT+IG's {@code MuonWithAuxAdam} (docs/METHOD.md §2.5).
 *
 * <p>Parameters with {@code ndim ≥ 2} go to Muon: the gradient is flattened to {@code [rows, −1]},
 * {@code buf ← lerp(buf, g, 1−μ)}, {@code g' = lerp(g, buf, μ)} (Nesterov), {@code O =
 * NewtonSchulz(g')·sqrt(max(1, rows/cols))}, {@code p ← p·(1 − lr·wd)}, {@code p ← p −
 * lr·0.2·sqrt(max(A, B))·O} with A, B the first two dims of the parameter. Parameters with {@code
 * ndim < 2} go to Adam: {@code m ← lerp(m, g, 1−β1)}, {@code v ← lerp(v, g², 1−β2)}, {@code p ← p −
 * lr·m̂/(sqrt(v̂) + eps)} with bias-corrected m̂, v̂, and decoupled wd (0 by default). That is
 * {@link AdamW}'s update ({@code lerp(m, g, 1−β) = β·m + (1−β)·g}), so the group runs it; the two
 * spellings differ only in float rounding. Newton–Schulz runs in float32 instead of bf16 (see
 * {@link NewtonSchulz}).
 *
 * <p>Flat: the momentum buffers of each {@link FlatLayout} group of matrices are one contiguous
 * buffer and the momentum and Nesterov arithmetic runs once per group; Newton–Schulz and the
 * shape-dependent scaling stay per matrix, on views of the group's result. The auxiliary Adam is
 * the flat {@link AdamW}. Every element sees the operations of {@link PerParameterMuon} in the
 * same order, so results are bitwise equal (tested); the exported state has the per-parameter
 * names, shapes and order.
 */
public final class Muon implements ParamOptimizer {
  static final String MOMENTUM = "momentum_buffer";

  /** Settings; {@link #lightningDit()} gives the LightningDiT+IG values. */
  public record Config(
      float momentum,
      int nsSteps,
      float weightDecay,
      float adamBeta1,
      float adamBeta2,
      float adamEps,
      float adamWeightDecay) {
    public static Config lightningDit() {
      return new Config(0.95f, 5, 0.01f, 0.9f, 0.95f, 1e-8f, 0f);
    }

    /** The auxiliary Adam group's settings. */
    AdamW.Config adam() {
      return new AdamW.Config(adamBeta1, adamBeta2, adamEps, adamWeightDecay);
    }
  }

  private final Config config;
  private final long groupFloats;
  private final OptimizerState counter;
  private final FlatMoments momentum;
  private final AdamW adam;
  /** All parameter names in step order, known from the first step: the export order. */
  private List<String> order;

  /** State tensors live in a sub-manager of {@code manager}. */
  public Muon(NDManager manager, Config config) {
    this(manager, config, AdamW.defaultGroupFloats(manager.getDevice()));
  }

  /** As above, with groups of at most {@code groupFloats} floats. */
  public Muon(NDManager manager, Config config, long groupFloats) {
    this.config = config;
    this.groupFloats = groupFloats;
    NDManager own = manager.newSubManager();
    this.counter = new OptimizerState(own);
    this.momentum = new FlatMoments("Muon", List.of(MOMENTUM), own);
    this.adam = new AdamW(own, config.adam(), groupFloats);
  }

  /** Whether {@code p} is updated by Muon (ndim ≥ 2) rather than the auxiliary Adam. */
  public static boolean usesMuon(NDArray p) {
    return p.getShape().dimension() >= 2;
  }

  @Override
  public void step(Map<String, NDArray> params, Map<String, NDArray> grads, float lr) {
    step(params, grads, lr, 1f);
  }

  /** The clipping scale is applied to the gathered gradients: the gradients are not modified. */
  @Override
  public void step(
      Map<String, NDArray> params, Map<String, NDArray> grads, float lr, float gradScale) {
    counter.increment();
    Map<String, NDArray> matrices = new LinkedHashMap<>();
    Map<String, NDArray> others = new LinkedHashMap<>();
    params.forEach((name, p) -> (usesMuon(p) ? matrices : others).put(name, p));
    if (order == null) {
      order = List.copyOf(params.keySet());
    }
    muonStep(matrices, grads, lr, gradScale);
    adam.step(others, grads, lr, gradScale);
  }

  private void muonStep(
      Map<String, NDArray> matrices, Map<String, NDArray> grads, float lr, float gradScale) {
    List<NDArray> ps = new ArrayList<>(matrices.values());
    List<NDArray> gs = new ArrayList<>(ps.size());
    List<Shape> rowMajor = new ArrayList<>(ps.size()); // [rows, −1], the buffers' shapes
    matrices.forEach((name, p) -> {
      gs.add(ParamMaps.gradient(grads, name));
      long rows = p.getShape().get(0);
      rowMajor.add(new Shape(rows, p.getShape().size() / rows));
    });
    momentum.bind(FlatLayout.of(new ArrayList<>(matrices.keySet()), rowMajor, groupFloats));
    FlatLayout layout = momentum.layout();
    float mu = config.momentum();
    try (GradModeOff off = new GradModeOff();
        Scalars s = Scalars.unscoped()) {
      for (int i = 0; i < layout.groups().size(); i++) {
        FlatLayout.Group group = layout.groups().get(i);
        try (NDScope scope = new NDScope()) { // the group's temporaries, freed before the next
          NDArray g = FlatBuffers.scaledGradients(gs, group, gradScale, s);
          NDArray buf = momentum.flat(0, i);
          buf.addi(g.sub(buf).muli(s.of(buf, 1f - mu))); // lerp(buf, g, 1 − μ)
          NDArray nesterov = g.add(buf.sub(g).muli(s.of(buf, mu))); // lerp(g, buf, μ)
          List<NDArray> perMatrix = layout.views(nesterov, group);
          List<NDArray> members = FlatBuffers.members(ps, group);
          for (int k = 0; k < members.size(); k++) {
            orthogonalStep(members.get(k), perMatrix.get(k), lr, config, s);
          }
        }
      }
    }
  }

  /**
   * The per-matrix part of a Muon update of {@code p} from its Nesterov gradient {@code nesterov}
   * ({@code [rows, −1]}): Newton–Schulz, the shape scalings, the decoupled decay and the step.
   */
  static void orthogonalStep(NDArray p, NDArray nesterov, float lr, Config config, Scalars s) {
    Shape shape = p.getShape();
    long rows = nesterov.getShape().get(0);
    long cols = nesterov.getShape().get(1);
    NDArray update = NewtonSchulz.orthogonalize(nesterov, config.nsSteps());
    update = update.mul(s.of(update, (float) Math.sqrt(Math.max(1.0, (double) rows / cols))));
    double adjustedLr = lr * 0.2 * Math.sqrt(Math.max(shape.get(0), shape.get(1)));
    decoupledDecay(p, lr, config.weightDecay(), s);
    p.subi(update.reshape(shape).muli(s.of(p, (float) adjustedLr)));
  }

  /**
   * The Muon group's decoupled decay {@code p ← p·(1 − lr·wd)}, at the group's lr (the official
   * {@code group["lr"]}, not the shape-adjusted one); shared with {@link FrozenDecay}.
   */
  static void decoupledDecay(NDArray p, float lr, float weightDecay, Scalars s) {
    if (weightDecay != 0f) {
      p.muli(s.of(p, 1f - lr * weightDecay));
    }
  }

  @Override
  public long steps() {
    return counter.steps();
  }

  /** Per parameter in step order, as {@link PerParameterMuon} exports it, then {@code step}. */
  @Override
  public Map<String, NDArray> state() {
    Map<String, NDArray> buffers = new LinkedHashMap<>(adam.state());
    buffers.remove(OptimizerState.STEP);
    buffers.putAll(momentum.export());
    Map<String, NDArray> out = new LinkedHashMap<>();
    if (order != null) {
      for (String name : order) {
        for (String kind : List.of(MOMENTUM, "exp_avg", "exp_avg_sq")) {
          NDArray b = buffers.remove(name + "." + kind);
          if (b != null) {
            out.put(name + "." + kind, b);
          }
        }
      }
    }
    out.putAll(buffers); // loaded state still waiting for the first step
    out.putAll(counter.export());
    return out;
  }

  @Override
  public void loadState(Map<String, NDArray> state) {
    NDArray step = state.get(OptimizerState.STEP);
    counter.load(step == null ? Map.of() : Map.of(OptimizerState.STEP, step));
    Map<String, NDArray> momenta = new LinkedHashMap<>();
    Map<String, NDArray> rest = new LinkedHashMap<>();
    state.forEach((name, t) -> (name.endsWith("." + MOMENTUM) ? momenta : rest).put(name, t));
    momentum.load(momenta);
    adam.loadState(rest);
  }
}
