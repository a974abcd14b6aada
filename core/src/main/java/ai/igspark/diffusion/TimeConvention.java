package ai.igspark.diffusion;

import ai.djl.ndarray.NDArray;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Locale;

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
 *
 * <p>Config files and the model config embedded in exported checkpoints spell it {@code sit} or
 * {@code lightningdit} (key {@code time_convention}); {@link #key()} is that spelling.
 */
public enum TimeConvention {
  SIT,
  LIGHTNINGDIT;

  /** The config spelling; Jackson reads and writes the enum as this value. */
  @JsonValue
  public String key() {
    return name().toLowerCase(Locale.ROOT);
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
