package ai.igspark.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;

/**
 * The output layer, also used as the IG head {@code final_layer_xr} (docs/METHOD.md §2.2):
 * linear(modulate(norm_final(x), shift, scale)) with (shift, scale) = adaLN(c), D → p·p·C.
 */
final class FinalLayer {
  private final Norm norm;
  private final Linear linear;
  private final AdaLn adaLn;

  /**
   * @param zeroInit zero adaLN and output linear (SiT's final layers and LightningDiT's
   *     final_layer); false keeps Xavier-uniform (LightningDiT's final_layer_xr, §2.2)
   */
  FinalLayer(ModelState state, String prefix, ModelConfig cfg, boolean zeroInit) {
    int d = cfg.hiddenSize();
    long out = (long) cfg.patchSize() * cfg.patchSize() * cfg.inChannels();
    this.norm = Norm.of(cfg, state, prefix + "norm_final.", d);
    Init linearInit = zeroInit ? Init.zeros() : Init.xavierUniform(d, out);
    this.linear = new Linear(state, prefix + "linear.", d, out, linearInit);
    this.adaLn =
        new AdaLn(
            state, prefix, d, 2, zeroInit ? Init.zeros() : Init.xavierUniform(d, 2L * d));
  }

  /** x: [N, T, D], c: [N, D] → [N, T, p·p·C]. */
  NDArray forward(NDArray x, NDArray c) {
    NDList m = adaLn.forward(c);
    return linear.forward(AdaLn.modulate(norm.forward(x), m.get(0), m.get(1)));
  }
}
