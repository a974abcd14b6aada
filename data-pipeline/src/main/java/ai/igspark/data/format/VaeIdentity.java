package ai.igspark.data.format;

/**
 * Which VAE made the latents, so a run can refuse a decoder that does not match.
 *
 * @param name e.g. {@code sd-vae-ft-mse}, {@code vavae-f16d32}, or {@code none} for pixel data
 * @param encoderSha256 sha256 of the encoder file used, or null when unknown / not applicable
 */
public record VaeIdentity(String name, String encoderSha256) {
  public VaeIdentity {
    if (name == null || name.isBlank()) {
      throw new IllegalArgumentException("VAE name must not be empty");
    }
  }

  public static VaeIdentity none() {
    return new VaeIdentity("none", null);
  }

  public static VaeIdentity named(String name) {
    return new VaeIdentity(name, null);
  }
}
