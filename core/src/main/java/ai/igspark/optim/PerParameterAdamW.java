package ai.igspark.optim;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

/**
 * {@link AdamW} updated parameter by parameter (≈12 kernels each): the reference the flat {@link
 * AdamW} is tested against bitwise, the per-parameter side of {@code igspark bench optimizer},
 * and the update of {@link Muon}'s auxiliary Adam group.
 */
public final class PerParameterAdamW extends PerParameterOptimizer {
  private final AdamW.Config config;

  /** State tensors live in a sub-manager of {@code manager}. */
  public PerParameterAdamW(NDManager manager, AdamW.Config config) {
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
      OptimizerState state, String name, NDArray p, NDArray g, long t, float lr, AdamW.Config c,
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
