package ai.igspark.optim;

import ai.igspark.tensor.GradModeOff;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import java.util.Map;

/**
 * AdamW with PyTorch's semantics ({@code torch.optim.AdamW}, single-tensor path): decoupled weight
 * decay {@code p ← p·(1 − lr·wd)}, then the bias-corrected Adam step {@code p ← p − lr/(1−β1^t) · m
 * / (sqrt(v)/sqrt(1−β2^t) + eps)}. State per parameter: {@code exp_avg}, {@code exp_avg_sq}.
 */
public final class AdamW implements ParamOptimizer {

  /** SiT-track settings (docs/METHOD.md §2.5): betas (0.9, 0.999), eps 1e-8, wd 0. */
  public record Config(float beta1, float beta2, float eps, float weightDecay) {
    public static Config sit() {
      return new Config(0.9f, 0.999f, 1e-8f, 0f);
    }
  }

  private final Config config;
  private final OptimizerState state;

  /** State tensors live in a sub-manager of {@code manager}. */
  public AdamW(NDManager manager, Config config) {
    this.config = config;
    this.state = new OptimizerState(manager);
  }

  @Override
  public void step(Map<String, NDArray> params, Map<String, NDArray> grads, float lr) {
    long t = state.increment();
    try (GradModeOff off = new GradModeOff();
        NDScope scope = new NDScope()) {
      Scalars scalars = new Scalars();
      for (Map.Entry<String, NDArray> e : params.entrySet()) {
        NDArray g = ParamMaps.gradient(grads, e.getKey());
        NDArray m = state.buffer(e.getKey() + ".exp_avg", e.getValue().getShape());
        NDArray v = state.buffer(e.getKey() + ".exp_avg_sq", e.getValue().getShape());
        update(e.getValue(), g, m, v, t, lr, config, scalars);
      }
    }
  }

  /**
   * One AdamW update of one tensor, in place, with the step's shared scalar operands: also the
   * update of {@link Muon}'s auxiliary Adam group.
   */
  static void update(
      NDArray p, NDArray g, NDArray m, NDArray v, long t, float lr, Config c, Scalars s) {
    double bc1 = 1 - Math.pow(c.beta1(), t);
    double bc2 = 1 - Math.pow(c.beta2(), t);
    if (c.weightDecay() != 0f) {
      p.muli(s.of(p, 1f - lr * c.weightDecay()));
    }
    m.muli(s.of(m, c.beta1())).addi(g.mul(s.of(g, 1f - c.beta1())));
    v.muli(s.of(v, c.beta2())).addi(g.square().muli(s.of(g, 1f - c.beta2())));
    NDArray denom = v.sqrt().divi(s.of(v, (float) Math.sqrt(bc2))).addi(s.of(v, c.eps()));
    p.subi(m.div(denom).muli(s.of(p, (float) (lr / bc1))));
  }

  @Override
  public long steps() {
    return state.steps();
  }

  @Override
  public Map<String, NDArray> state() {
    return state.export();
  }

  @Override
  public void loadState(Map<String, NDArray> tensors) {
    state.load(tensors);
  }
}
