package ai.igspark.optim;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.igspark.data.InvalidInputException;
import ai.igspark.tensor.DeviceTransfer;
import ai.igspark.tensor.GradModeOff;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Exponential moving average of the parameters, as DiT/SiT's {@code update_ema}: initialized as a
 * copy, then {@code ema ← decay·ema + (1 − decay)·p} after every optimizer step (decay 0.9999,
 * docs/METHOD.md §2.5).
 */
public final class Ema {
  public static final float DEFAULT_DECAY = 0.9999f;

  private final float decay;
  private final NDManager manager;
  private final Map<String, NDArray> shadow = new LinkedHashMap<>();

  /** Starts as a copy of {@code params}, held in a sub-manager of {@code manager}. */
  public Ema(NDManager manager, Map<String, NDArray> params, float decay) {
    checkDecay(decay);
    this.decay = decay;
    this.manager = manager.newSubManager();
    params.forEach((name, p) -> shadow.put(name, copyOf(p)));
  }

  /**
   * The accepted decays, here and for the run config's {@code train.ema_decay}: [0, 1), since a
   * decay of 1 would keep the initial copy forever (so would one that rounds to 1 in float32, the
   * precision the average runs in). Returns {@code decay}.
   */
  public static double checkDecay(double decay) {
    if (!(decay >= 0 && (float) decay < 1f)) {
      throw new InvalidInputException("ema_decay must be in [0, 1), got " + decay);
    }
    return decay;
  }

  public float decay() {
    return decay;
  }

  public void update(Map<String, NDArray> params) {
    try (GradModeOff off = new GradModeOff();
        NDScope scope = new NDScope()) {
      Scalars s = new Scalars();
      for (Map.Entry<String, NDArray> e : shadow.entrySet()) {
        NDArray p = params.get(e.getKey());
        if (p == null) {
          throw new IllegalArgumentException("EMA: parameter '" + e.getKey() + "' not given");
        }
        e.getValue().muli(s.of(p, decay)).addi(p.mul(s.of(p, 1f - decay)));
      }
    }
  }

  /** The live EMA weights by parameter name (do not close them). */
  public Map<String, NDArray> weights() {
    return Collections.unmodifiableMap(shadow);
  }

  /** Replaces the EMA weights by copies of {@code weights}, which must hold every parameter. */
  public void load(Map<String, NDArray> weights) {
    for (Map.Entry<String, NDArray> e : shadow.entrySet()) {
      NDArray src = weights.get(e.getKey());
      if (src == null || !src.getShape().equals(e.getValue().getShape())) {
        throw new InvalidInputException(
            "EMA weights: '"
                + e.getKey()
                + "' is "
                + (src == null ? "missing" : "of shape " + src.getShape())
                + ", expected shape "
                + e.getValue().getShape());
      }
    }
    for (Map.Entry<String, NDArray> e : shadow.entrySet()) {
      NDArray fresh = copyOf(weights.get(e.getKey()));
      e.getValue().close();
      e.setValue(fresh);
    }
  }

  private NDArray copyOf(NDArray p) {
    NDArray copy = DeviceTransfer.upload(manager, DeviceTransfer.download(p), p.getShape());
    NDScope.unregister(copy); // the EMA outlives any scope open around its creation
    return copy;
  }
}
