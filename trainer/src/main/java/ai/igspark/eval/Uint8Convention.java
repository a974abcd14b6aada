package ai.igspark.eval;

import ai.igspark.data.InvalidInputException;
import java.util.Locale;

/**
 * How decoded images in [−1, 1] become uint8 pixels before the Inception network (docs/METRICS.md
 * §3 item 5). The two conventions of the reference code differ by half a grey level, which does not
 * matter for reporting but does for fixed-seed regressions, so the one used is recorded with every
 * metric.
 */
public enum Uint8Convention {
  /**
   * REPA / Internal Guidance {@code generate.py}: {@code clamp(255·(x + 1)/2, 0, 255)}, then a
   * truncating cast, i.e. floor. The default: it is what produced the IG paper's numbers.
   */
  FLOOR("floor"),
  /**
   * SiT / LightningDiT {@code sample_ddp.py}: {@code clamp(127.5·x + 128, 0, 255)}, then a
   * truncating cast, i.e. round half up of 127.5·x + 127.5.
   */
  ROUND("round");

  private final String key;

  Uint8Convention(String key) {
    this.key = key;
  }

  /** The name used in configs, on the command line and in metrics records. */
  public String key() {
    return key;
  }

  public static Uint8Convention parse(String where, String value) {
    for (Uint8Convention c : values()) {
      if (c.key.equals(value.trim().toLowerCase(Locale.ROOT))) {
        return c;
      }
    }
    throw new InvalidInputException(
        where + ": '" + value + "', expected floor (REPA/IG: clamp(255·(x+1)/2) truncated) or "
            + "round (SiT: clamp(127.5·x+128) truncated)");
  }

  /**
   * One value, in float32 arithmetic in the reference code's operation order, so the bytes equal
   * PyTorch's. Java's (int) cast truncates like PyTorch's {@code .to(torch.uint8)} on values
   * clamped to [0, 255].
   */
  public int toUint8(float x) {
    float v = this == FLOOR ? 255f * (x + 1f) / 2f : 127.5f * x + 128f;
    return (int) Math.min(255f, Math.max(0f, v));
  }

  /**
   * Converts decoded images (any layout) to unsigned bytes; {@code source} names the decoder in
   * the error a non-finite value raises (a NaN has no pixel value).
   */
  public byte[] toUint8(float[] images, String source) {
    byte[] out = new byte[images.length];
    for (int i = 0; i < images.length; i++) {
      float x = images[i];
      if (!Float.isFinite(x)) {
        throw new InvalidInputException(
            source + ": the decoder produced " + x + " at value " + i + " of a batch; decoded "
                + "images must be finite (check the latents' normalisation)");
      }
      out[i] = (byte) toUint8(x);
    }
    return out;
  }
}
