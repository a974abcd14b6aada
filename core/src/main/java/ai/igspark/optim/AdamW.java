package ai.igspark.optim;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.igspark.tensor.FlatLayout;
import ai.igspark.tensor.FlatParameters;
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
 * once per group; only the decay and the final {@code p ← p − step} touch each parameter. For
 * flat parameters ({@link FlatParameters}, the model's own storage) nothing is per parameter: the
 * group's gradient and buffer are used whole. Every
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

  /** The group size for state on {@code device} ({@link FlatLayout#defaultGroupFloats}). */
  public static long defaultGroupFloats(Device device) {
    return FlatLayout.defaultGroupFloats(device);
  }

  private final Config config;
  private final long groupFloats;
  /** The step count (and its exported scalar); holds no buffers itself. */
  private final OptimizerState counter;
  private final FlatMoments moments;

  /** State tensors live in a sub-manager of {@code manager}. */
  public AdamW(NDManager manager, Config config) {
    this(manager, config, defaultGroupFloats(manager.getDevice()));
  }

  public AdamW(NDManager manager, Config config, long groupFloats) {
    this.config = config;
    this.groupFloats = groupFloats;
    NDManager own = manager.newSubManager();
    this.counter = new OptimizerState(own);
    this.moments = new FlatMoments("AdamW", List.of("exp_avg", "exp_avg_sq"), own);
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
    moments.bind(FlatLayout.of(params, groupFloats));
    FlatLayout layout = moments.layout();
    List<NDArray> ps = new ArrayList<>(params.values());
    List<NDArray> gs = new ArrayList<>(ps.size());
    params.keySet().forEach(name -> gs.add(ParamMaps.gradient(grads, name)));
    try (GradModeOff off = new GradModeOff();
        Scalars s = Scalars.unscoped()) {
      for (int i = 0; i < layout.groups().size(); i++) {
        FlatLayout.Group group = layout.groups().get(i);
        try (NDScope scope = new NDScope()) { // the group's temporaries, freed before the next
          NDArray g = FlatBuffers.scaledGradients(gs, group, gradScale, s);
          List<NDArray> steps = layout.views(adamStep(i, g, t, lr, s), group);
          List<NDArray> members = FlatBuffers.members(ps, group);
          for (int k = 0; k < members.size(); k++) {
            apply(members.get(k), steps.get(k), lr, s);
          }
        }
      }
    }
  }

  /**
   * The same update on flat parameters: per group, its buffer and its contiguous gradient are
   * used as they are, so the step is about a dozen kernels per group and no gather at all.
   */
  @Override
  public void step(FlatParameters params, float lr, float gradScale) {
    long t = counter.increment();
    moments.bind(params.layout());
    try (GradModeOff off = new GradModeOff();
        Scalars s = Scalars.unscoped();
        NDScope outer = new NDScope()) {
      List<NDArray> grads = params.gradients();
      for (int i = 0; i < grads.size(); i++) {
        try (NDScope scope = new NDScope()) {
          NDArray g = FlatBuffers.scaled(grads.get(i), gradScale, s);
          apply(params.buffer(i), adamStep(i, g, t, lr, s), lr, s);
        }
      }
    }
  }

  /**
   * Updates group {@code i}'s moments from its gradient {@code g} at step {@code t} and returns
   * the step {@code lr/(1−β1^t) · m / (sqrt(v)/sqrt(1−β2^t) + eps)}, in the caller's scope.
   */
  private NDArray adamStep(int i, NDArray g, long t, float lr, Scalars s) {
    double bc1 = 1 - Math.pow(config.beta1(), t);
    double bc2 = 1 - Math.pow(config.beta2(), t);
    NDArray m = moments.flat(0, i);
    NDArray v = moments.flat(1, i);
    m.muli(s.of(m, config.beta1())).addi(g.mul(s.of(g, 1f - config.beta1())));
    v.muli(s.of(v, config.beta2())).addi(g.square().muli(s.of(g, 1f - config.beta2())));
    NDArray denom = v.sqrt().divi(s.of(v, (float) Math.sqrt(bc2))).addi(s.of(v, config.eps()));
    return m.div(denom).muli(s.of(m, (float) (lr / bc1)));
  }

  /** {@code p ← p·(1 − lr·wd)}, then {@code p ← p − step}. */
  private void apply(NDArray p, NDArray step, float lr, Scalars s) {
    if (config.weightDecay() != 0f) {
      p.muli(s.of(p, 1f - lr * config.weightDecay()));
    }
    p.subi(step);
  }

  @Override
  public long steps() {
    return counter.steps();
  }

  @Override
  public Map<String, NDArray> state() {
    Map<String, NDArray> out = new LinkedHashMap<>(moments.export());
    out.putAll(counter.export());
    return out;
  }

  @Override
  public void loadState(Map<String, NDArray> state) {
    NDArray step = state.get(OptimizerState.STEP);
    counter.load(step == null ? Map.of() : Map.of(OptimizerState.STEP, step));
    Map<String, NDArray> buffers = new LinkedHashMap<>(state);
    buffers.remove(OptimizerState.STEP);
    moments.load(buffers);
  }
}
