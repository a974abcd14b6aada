package ai.igspark.diffusion;

import ai.djl.ndarray.NDArray;
import ai.igspark.data.InvalidInputException;

/**
 * The two time conventions of official IG checkpoints (docs/METHOD.md §2.3, §10).
 *
 * <ul>
 *   <li>{@link #SIT}: {@code t = 1} is noise, {@code x_t = (1−t)·x0 + t·ε}, velocity {@code ε −
 *       x0}.
 *   <li>{@link #LIGHTNINGDIT}: {@code t = 1} is data, {@code x_t = t·x1 + (1−t)·ε}, velocity {@code
 *       x1 − ε}. With {@code t_ld = 1 − t_sit} the state is the same and the velocity is the
 *       negative, so a LightningDiT net is turned into a SiT-time net by feeding {@code 1 − t} and
 *       negating both heads. MSE and cosine losses are invariant under that sign flip, and uniform
 *       and logit-normal time sampling are symmetric about 0.5, so the loss computed in SiT time on
 *       the adapted net equals LightningDiT's own loss.
 * </ul>
 */
public enum TimeConvention {
  SIT("sit"),
  LIGHTNINGDIT("lightningdit");

  private final String configName;

  TimeConvention(String configName) {
    this.configName = configName;
  }

  public String configName() {
    return configName;
  }

  /**
   * Parses the model config's {@code time_convention} value ({@code sit} or {@code lightningdit}).
   */
  public static TimeConvention parse(String key, String value) {
    for (TimeConvention c : values()) {
      if (c.configName.equals(value)) {
        return c;
      }
    }
    throw new InvalidInputException(
        key + ": unknown time convention '" + value + "', expected 'sit' or 'lightningdit'");
  }

  /** Maps a SiT time to this convention's time. */
  public float fromSitTime(float tSit) {
    return this == SIT ? tSit : 1f - tSit;
  }

  /** A view of {@code net} (which speaks this convention) that speaks SiT time. */
  public VelocityNet toSitTime(VelocityNet net) {
    if (this == SIT) {
      return net;
    }
    return (x, t, y) -> {
      NDArray tNet = t.neg().addi(1f);
      Velocities v = net.predict(x, tNet, y);
      NDArray vi = v.vIntermediate() == null ? null : v.vIntermediate().neg();
      return new Velocities(v.vFinal().neg(), vi);
    };
  }
}
