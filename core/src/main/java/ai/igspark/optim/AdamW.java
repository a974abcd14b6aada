package ai.igspark.optim;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
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

  /**
   * Floats per group on a GPU: 16 Mi (64 MiB), so a SiT-XL/2 step is a few dozen groups of a few
   * kernels each; the group also bounds each temporary of the step.
   */
  public static final long GPU_GROUP_FLOATS = 1L << 24;

  /**
   * Floats per group on a CPU: 2 Mi (8 MiB). Larger groups were 2–4 times slower there: their
   * temporaries leave the cache, and glibc maps and unmaps each one afresh
   * (docs/benchmarks/optimizer.md §2). Group size never changes the results.
   */
  public static final long CPU_GROUP_FLOATS = 1L << 21;

  /** The group size for state on {@code device}. */
  public static long defaultGroupFloats(Device device) {
    return device.isGpu() ? GPU_GROUP_FLOATS : CPU_GROUP_FLOATS;
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
    double bc1 = 1 - Math.pow(config.beta1(), t);
    double bc2 = 1 - Math.pow(config.beta2(), t);
    List<NDArray> ps = new ArrayList<>(params.values());
    List<NDArray> gs = new ArrayList<>(ps.size());
    params.keySet().forEach(name -> gs.add(ParamMaps.gradient(grads, name)));
    try (GradModeOff off = new GradModeOff();
        Scalars s = Scalars.unscoped()) {
      for (int i = 0; i < layout.groups().size(); i++) {
        FlatLayout.Group group = layout.groups().get(i);
        try (NDScope scope = new NDScope()) { // the group's temporaries, freed before the next
          NDArray g = FlatBuffers.scaledGradients(gs, group, gradScale, s);
          NDArray m = moments.flat(0, i);
          NDArray v = moments.flat(1, i);
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
