package ai.igspark.train;

/**
 * Loss figures of one micro-batch, as sums over its samples so that ranks and micro-batches add up
 * (divide by the global batch for means).
 *
 * @param loss this micro-batch's contribution to the global loss, {@code Σ_i l_i / B_global}
 * @param sumFinal Σ_i of the final head's MSE
 * @param sumIntermediate Σ_i of the intermediate head's MSE
 * @param sumCosine Σ_i of the cosine term (0 when disabled)
 * @param perSample l_i per sample
 */
public record LossComponents(
    double loss, double sumFinal, double sumIntermediate, double sumCosine, float[] perSample) {

  public int samples() {
    return perSample.length;
  }

  /** Adds the figures of another micro-batch (or rank). */
  public LossComponents plus(LossComponents other) {
    float[] all = new float[perSample.length + other.perSample.length];
    System.arraycopy(perSample, 0, all, 0, perSample.length);
    System.arraycopy(other.perSample, 0, all, perSample.length, other.perSample.length);
    return new LossComponents(
        loss + other.loss,
        sumFinal + other.sumFinal,
        sumIntermediate + other.sumIntermediate,
        sumCosine + other.sumCosine,
        all);
  }
}
