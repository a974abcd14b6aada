package ai.igspark.diffusion;

import ai.djl.ndarray.NDArray;

/**
 * Result of {@link IgLoss#compute}.
 *
 * @param total scalar to backpropagate: {@code Σ_i l_i / B_global}
 * @param perSample [N], {@code l_i = L_final,i + λ·L_inter,i + L_cos,i}
 * @param perSampleFinal [N], MSE of the final head over (C, H, W)
 * @param perSampleIntermediate [N], MSE of the intermediate head (zeros without an IG head)
 * @param perSampleCosine [N], mean over (H, W) of {@code 1 − cos(v_f, v*)} (zeros when disabled)
 */
public record LossTerms(
    NDArray total,
    NDArray perSample,
    NDArray perSampleFinal,
    NDArray perSampleIntermediate,
    NDArray perSampleCosine) {}
