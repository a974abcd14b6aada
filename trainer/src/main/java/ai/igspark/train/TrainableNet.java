package ai.igspark.train;

import ai.djl.ndarray.NDArray;
import ai.igspark.diffusion.VelocityNet;
import java.util.Map;

/** A {@link VelocityNet} whose parameters are trained: they require gradients. */
public interface TrainableNet extends VelocityNet {

  /**
   * The trainable parameters in a fixed order under their official names; the gradient of each is
   * read with {@link NDArray#getGradient()}. The same map instance or an equal one every call.
   */
  Map<String, NDArray> trainableParameters();
}
