package ai.igspark.optim;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

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
 */
public final class Muon extends PerParameterOptimizer {

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
  private final AdamW.Config adam;

  public Muon(NDManager manager, Config config) {
    super(manager);
    this.config = config;
    this.adam = config.adam();
  }

  /** Whether {@code p} is updated by Muon (ndim ≥ 2) rather than the auxiliary Adam. */
  public static boolean usesMuon(NDArray p) {
    return p.getShape().dimension() >= 2;
  }

  @Override
  void update(String name, NDArray p, NDArray g, long t, float lr, Scalars s) {
    if (usesMuon(p)) {
      muonUpdate(name, p, g, lr, s);
    } else {
      PerParameterAdamW.update(state, name, p, g, t, lr, adam, s);
    }
  }

  private void muonUpdate(String name, NDArray p, NDArray g, float lr, Scalars s) {
    Shape shape = p.getShape();
    long rows = shape.get(0);
    long cols = shape.size() / rows;
    NDArray gFlat = g.reshape(rows, cols);
    NDArray buf = state.buffer(name + ".momentum_buffer", new Shape(rows, cols));
    float mu = config.momentum();
    buf.addi(gFlat.sub(buf).muli(s.of(buf, 1f - mu))); // lerp(buf, g, 1 − μ)
    NDArray nesterov = gFlat.add(buf.sub(gFlat).muli(s.of(buf, mu))); // lerp(g, buf, μ)
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
}
