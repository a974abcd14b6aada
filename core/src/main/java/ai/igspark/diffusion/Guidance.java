package ai.igspark.diffusion;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.igspark.data.InvalidInputException;

/**
 * Internal guidance and classifier-free guidance with their intervals (docs/METHOD.md §3.1–3.3).
 * Intervals are closed and in SiT time ({@code t = 1} noise). A LightningDiT interval {@code [a,
 * b]} in its own time is {@code [1−b, 1−a]} here (see {@link #lightningDitInterval}).
 *
 * @param igScale w_ig; IG is applied when {@code w_ig ≠ 1} and {@code igLow ≤ t ≤ igHigh}
 * @param cfgScale w_cfg; CFG is applied (batch doubled) when {@code w_cfg ≠ 1} and {@code cfgLow ≤
 *     t ≤ cfgHigh}
 */
public record Guidance(
    float igScale, float igLow, float igHigh, float cfgScale, float cfgLow, float cfgHigh) {

  public Guidance {
    check("ig_scale", igScale);
    check("cfg_scale", cfgScale);
    checkInterval("ig_interval", igLow, igHigh);
    checkInterval("cfg_interval", cfgLow, cfgHigh);
  }

  /** Plain sampling from the final head. */
  public static Guidance none() {
    return new Guidance(1f, 0f, 1f, 1f, 0f, 1f);
  }

  public static Guidance ig(float scale, float low, float high) {
    return new Guidance(scale, low, high, 1f, 0f, 1f);
  }

  public Guidance withCfg(float scale, float low, float high) {
    return new Guidance(igScale, igLow, igHigh, scale, low, high);
  }

  /** Converts a closed interval in LightningDiT time ({@code t = 1} data) to SiT time. */
  public static float[] lightningDitInterval(float low, float high) {
    return new float[] {1f - high, 1f - low};
  }

  public boolean igActive(float t) {
    return igScale != 1f && igLow <= t && t <= igHigh;
  }

  public boolean cfgActive(float t) {
    return cfgScale != 1f && cfgLow <= t && t <= cfgHigh;
  }

  /**
   * The guided velocity field of {@code sitNet} for labels {@code y} (int64 [N]).
   *
   * <p>Inside the CFG interval the net runs on {@code [x; x]} with labels {@code [y; ∅]}; IG is
   * applied to both halves, then {@code v = v_u + w_cfg·(v_c − v_u)} (§3.2). Outside it only the
   * conditional batch runs. With both scales 1 this is exactly {@code v_f}.
   */
  public VelocityField field(VelocityNet sitNet, NDArray y, int nullClass) {
    NDArray labels = y.toType(DataType.INT64, false);
    return (x, t) -> {
      long n = x.getShape().get(0);
      if (!cfgActive(t)) {
        return headsCombined(sitNet.predict(x, times(x, n, t), labels), t);
      }
      NDArray xx = x.concat(x, 0);
      NDArray yy = labels.concat(labels.zerosLike().add(nullClass), 0);
      NDArray v = headsCombined(sitNet.predict(xx, times(x, 2 * n, t), yy), t);
      NDList halves = v.split(2, 0);
      NDArray vc = halves.get(0);
      NDArray vu = halves.get(1);
      return vu.add(vc.sub(vu).mul(cfgScale));
    };
  }

  /** §3.1: {@code v = v_i + w·(v_f − v_i)} inside the IG interval, else {@code v_f}. */
  private NDArray headsCombined(Velocities v, float t) {
    if (!igActive(t)) {
      return v.vFinal();
    }
    if (!v.hasIntermediate()) {
      throw new InvalidInputException(
          "ig_scale: " + igScale + " needs a model with an IG head, but this model has none");
    }
    return v.vIntermediate().add(v.vFinal().sub(v.vIntermediate()).mul(igScale));
  }

  private static NDArray times(NDArray like, long n, float t) {
    return like.getManager().full(new Shape(n), t, DataType.FLOAT32);
  }

  private static void check(String key, float scale) {
    if (!Float.isFinite(scale)) {
      throw new InvalidInputException(key + ": " + scale + ", expected a finite number");
    }
  }

  private static void checkInterval(String key, float low, float high) {
    if (!(0f <= low && low <= high && high <= 1f)) {
      throw new InvalidInputException(
          key + ": [" + low + ", " + high + "], expected 0 <= low <= high <= 1 (SiT time)");
    }
  }
}
