package ai.igspark.optim;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

/**
 * AdamW with PyTorch's semantics ({@code torch.optim.AdamW}, single-tensor path): decoupled weight
 * decay {@code p ← p·(1 − lr·wd)}, then the bias-corrected Adam step {@code p ← p − lr/(1−β1^t) · m
 * / (sqrt(v)/sqrt(1−β2^t) + eps)}. State per parameter: {@code exp_avg}, {@code exp_avg_sq}.
 */
public final class AdamW extends PerParameterOptimizer {

  /** SiT-track settings (docs/METHOD.md §2.5): betas (0.9, 0.999), eps 1e-8, wd 0. */
  public record Config(float beta1, float beta2, float eps, float weightDecay) {
    public static Config sit() {
      return new Config(0.9f, 0.999f, 1e-8f, 0f);
    }
  }

  private final Config config;

  /** State tensors live in a sub-manager of {@code manager}. */
  public AdamW(NDManager manager, Config config) {
    super(manager);
    this.config = config;
  }

  @Override
  void update(String name, NDArray p, NDArray g, long t, float lr, Scalars s) {
    update(state, name, p, g, t, lr, config, s);
  }

  /**
   * One AdamW update of parameter {@code name}, in place, its moments kept in {@code state}: also
   * the update of {@link Muon}'s auxiliary Adam group.
   */
  static void update(
      OptimizerState state, String name, NDArray p, NDArray g, long t, float lr, Config c,
      Scalars s) {
    NDArray m = state.buffer(name + ".exp_avg", p.getShape());
    NDArray v = state.buffer(name + ".exp_avg_sq", p.getShape());
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
}
