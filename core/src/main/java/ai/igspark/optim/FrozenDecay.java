package ai.igspark.optim;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import ai.igspark.tensor.GradModeOff;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What a Muon step does to frozen parameters that the official LightningDiT grouping still puts in
 * the Muon group (its {@code pos_embed}, docs/METHOD.md §2.5). {@code MuonWithAuxAdam} gives a
 * parameter without a gradient a zero one, so its momentum stays zero, Newton–Schulz of the zero
 * matrix is zero, and only the decoupled decay is left: {@code p ← p·(1 − lr·wd)} with the group's
 * scheduled lr (not the shape-adjusted one, which scales only the orthogonalised step) and the
 * group's wd. The arithmetic is {@link Muon}'s own decay, so the result is bitwise that of a Muon
 * step on a zero gradient.
 */
public final class FrozenDecay {
  private final Map<String, NDArray> params;
  private final float weightDecay;

  /**
   * @param params the frozen parameters by name, live (decayed in place); each has ndim ≥ 2, as
   *     the official split sends only those to Muon
   * @param weightDecay the Muon group's weight decay
   */
  public FrozenDecay(Map<String, NDArray> params, float weightDecay) {
    params.forEach((name, p) -> {
      if (!Muon.usesMuon(p)) {
        throw new IllegalArgumentException(
            "frozen decay: '" + name + "' has shape " + p.getShape()
                + "; the Muon group holds only parameters with ndim >= 2");
      }
    });
    this.params = Collections.unmodifiableMap(new LinkedHashMap<>(params));
    this.weightDecay = weightDecay;
  }

  /** The decayed parameters by name (live; do not close them). */
  public Map<String, NDArray> params() {
    return params;
  }

  /** One optimizer step's decay at learning rate {@code lr}. */
  public void apply(float lr) {
    try (GradModeOff off = new GradModeOff();
        NDScope scope = new NDScope()) {
      Scalars s = new Scalars();
      for (NDArray p : params.values()) {
        Muon.decoupledDecay(p, lr, weightDecay, s);
      }
    }
  }
}
