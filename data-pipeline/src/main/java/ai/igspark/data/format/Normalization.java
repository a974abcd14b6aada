package ai.igspark.data.format;

import java.util.Arrays;

/**
 * How stored latents become model inputs (docs/METHOD.md §2.6, §4.3): either a scalar
 * {@code x = z·scale + bias} (SD-VAE: scale 0.18215, bias 0; pixel data: 1, 0) or per channel
 * {@code x = (z − mean_c) / std_c} (VA-VAE, from {@code latents_stats.pt}).
 *
 * @param perChannel true for the per-channel form; then {@code mean} and {@code std} are set
 * @param scale scalar multiplier (1 in the per-channel form)
 * @param bias scalar offset (0 in the per-channel form)
 * @param mean per-channel means (empty in the scalar form)
 * @param std per-channel standard deviations, all positive (empty in the scalar form)
 */
public record Normalization(
    boolean perChannel, float scale, float bias, float[] mean, float[] std)
    implements java.io.Serializable {

  public Normalization {
    mean = mean.clone();
    std = std.clone();
    if (mean.length != std.length) {
      throw new IllegalArgumentException("mean and std lengths differ");
    }
    if (perChannel && mean.length == 0) {
      throw new IllegalArgumentException("per-channel normalization needs mean and std");
    }
  }

  public static Normalization scalar(float scale, float bias) {
    return new Normalization(false, scale, bias, new float[0], new float[0]);
  }

  public static Normalization identity() {
    return scalar(1f, 0f);
  }

  /** SD-VAE latents: {@code z·0.18215}. */
  public static Normalization sdVae() {
    return scalar(0.18215f, 0f);
  }

  public static Normalization perChannel(float[] mean, float[] std) {
    return new Normalization(true, 1f, 0f, mean, std);
  }

  @Override
  public float[] mean() {
    return mean.clone();
  }

  @Override
  public float[] std() {
    return std.clone();
  }

  /** Per-channel multiplier a_c in {@code x = z·a_c + b_c}. */
  public float multiplier(int channel) {
    return perChannel ? 1f / std[channel] : scale;
  }

  /** Per-channel offset b_c in {@code x = z·a_c + b_c}. */
  public float offset(int channel) {
    return perChannel ? -mean[channel] / std[channel] : bias;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Normalization n && n.perChannel == perChannel
        && Float.compare(n.scale, scale) == 0 && Float.compare(n.bias, bias) == 0
        && Arrays.equals(n.mean, mean) && Arrays.equals(n.std, std);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(mean) * 31 + Float.hashCode(scale);
  }

  @Override
  public String toString() {
    return perChannel
        ? "per-channel(mean=" + Arrays.toString(mean) + ", std=" + Arrays.toString(std) + ")"
        : "scalar(scale=" + scale + ", bias=" + bias + ")";
  }
}
