package ai.igspark.data.sampling;

/**
 * Horizontal-flip augmentation applied when a batch is gathered. Each sample flips with p = 0.5,
 * decided by {@link CounterRng} keyed by (seed, epoch, sample index), so the choice does not
 * depend on rank, world size or read order.
 */
public enum FlipMode {
  /** Never flip (the SiT/REPA track, evaluation). */
  NONE,
  /**
   * Use the pre-encoded {@code latents_flip} (LightningDiT track, docs/METHOD.md §2.6); the
   * dataset must store flips.
   */
  STORED,
  /**
   * Mirror the array along its width. Exact for pixel data (Fashion-MNIST); for VAE latents it is
   * only an approximation of encoding the flipped image, so latent datasets should use STORED.
   */
  MIRROR
}
