package ai.igspark.optim;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/**
 * {@link Muon} updated parameter by parameter, its auxiliary Adam included: the reference the flat
 * {@link Muon} is tested against bitwise.
 */
public final class PerParameterMuon extends PerParameterOptimizer {
  private final Muon.Config config;
  private final AdamW.Config adam;

  public PerParameterMuon(NDManager manager, Muon.Config config) {
    super(manager);
    this.config = config;
    this.adam = config.adam();
  }

  @Override
  void update(String name, NDArray p, NDArray g, long t, float lr, Scalars s) {
    if (Muon.usesMuon(p)) {
      Shape shape = p.getShape();
      long rows = shape.get(0);
      NDArray gFlat = g.reshape(rows, shape.size() / rows);
      NDArray buf = state.buffer(name + ".momentum_buffer", gFlat.getShape());
      float mu = config.momentum();
      buf.addi(gFlat.sub(buf).muli(s.of(buf, 1f - mu))); // lerp(buf, g, 1 − μ)
      NDArray nesterov = gFlat.add(buf.sub(gFlat).muli(s.of(buf, mu))); // lerp(g, buf, μ)
      Muon.orthogonalStep(p, nesterov, lr, config, s);
    } else {
      PerParameterAdamW.update(state, name, p, g, t, lr, adam, s);
    }
  }
}
