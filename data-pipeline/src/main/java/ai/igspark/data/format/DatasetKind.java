package ai.igspark.data.format;

import java.util.Arrays;
import java.util.Optional;

/** What a dataset's shards hold per sample. */
public enum DatasetKind {
  /** One latent per sample ({@code latents}, optionally {@code latents_flip}): LightningDiT. */
  LATENTS("latents"),
  /**
   * The VAE posterior's mean and std ({@code moments_mean}, {@code moments_std}); a fresh sample
   * {@code mean + std·ε} is drawn each step (REPA/EDM2, docs/METHOD.md §2.6).
   */
  MOMENTS("moments");

  private final String jsonName;

  DatasetKind(String jsonName) {
    this.jsonName = jsonName;
  }

  public String jsonName() {
    return jsonName;
  }

  public static Optional<DatasetKind> fromJsonName(String name) {
    return Arrays.stream(values()).filter(k -> k.jsonName.equals(name)).findFirst();
  }
}
