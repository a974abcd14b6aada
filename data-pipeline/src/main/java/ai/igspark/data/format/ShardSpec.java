package ai.igspark.data.format;

import ai.igspark.tensorfile.DType;

/**
 * What every shard of one dataset holds, shared by all the {@link ShardWriter}s of an ingestion.
 *
 * @param channels C of the [C,H,W] latent
 * @param height H
 * @param width W
 * @param storedDType F32, F16 or BF16
 * @param kind latents (optionally with stored flips) or posterior moments
 * @param withFlips whether {@code latents_flip} is stored (LATENTS only)
 * @param numClasses labels must lie in [0, numClasses)
 * @param samplesPerShard a shard is closed after this many samples (0.25–1 GB in production)
 */
public record ShardSpec(
    int channels,
    int height,
    int width,
    DType storedDType,
    DatasetKind kind,
    boolean withFlips,
    int numClasses,
    int samplesPerShard) implements java.io.Serializable {

  public ShardSpec {
    if (channels <= 0 || height <= 0 || width <= 0) {
      throw new IllegalArgumentException(
          "latent shape must be positive: " + channels + "x" + height + "x" + width);
    }
    if (storedDType != DType.F32 && storedDType != DType.F16 && storedDType != DType.BF16) {
      throw new IllegalArgumentException(
          "stored dtype must be F32, F16 or BF16, not " + storedDType);
    }
    if (withFlips && kind != DatasetKind.LATENTS) {
      throw new IllegalArgumentException("stored flips exist only for latents datasets");
    }
    if (numClasses <= 0) {
      throw new IllegalArgumentException("numClasses must be positive: " + numClasses);
    }
    if (samplesPerShard <= 0) {
      throw new IllegalArgumentException("samplesPerShard must be positive: " + samplesPerShard);
    }
  }

  /** C·H·W. */
  public int sampleSize() {
    return Math.multiplyExact(Math.multiplyExact(channels, height), width);
  }

  public long[] latentShape() {
    return new long[] {channels, height, width};
  }

  /**
   * Samples per shard that gives shards of about {@code targetBytes} (at least 1).
   */
  public static int samplesFor(
      long targetBytes, int c, int h, int w, DType stored, DatasetKind kind, boolean withFlips) {
    long perSample = (long) c * h * w * stored.byteSize()
        * (kind == DatasetKind.MOMENTS || withFlips ? 2 : 1) + 8;
    return (int) Math.max(1, Math.min(Integer.MAX_VALUE / 4, targetBytes / perSample));
  }
}
