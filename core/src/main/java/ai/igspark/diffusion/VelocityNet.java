package ai.igspark.diffusion;

import ai.djl.ndarray.NDArray;

/**
 * A velocity-predicting network: {@code (x, t, y) -> (v_final, v_intermediate)}.
 *
 * <p>Time convention: an implementation receives {@code t} in <em>its own</em> convention (the
 * model config's {@code time_convention}) and returns velocities in that convention. Everything in
 * this package (loss, guidance, samplers) works in SiT time, where {@code t = 1} is noise and the
 * velocity is {@code ε − x0}; wrap a network with {@link TimeConvention#toSitTime} before handing
 * it over (docs/METHOD.md §10 "keep two time conventions").
 */
@FunctionalInterface
public interface VelocityNet {

  /**
   * @param x float32 [N, C, H, W]
   * @param t float32 [N], unscaled in [0, 1]
   * @param y int64 [N], class ids; {@code num_classes} is the null (unconditional) class
   */
  Velocities predict(NDArray x, NDArray t, NDArray y);
}
