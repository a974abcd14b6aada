package ai.igspark.model;

import ai.djl.ndarray.NDArray;
import ai.igspark.diffusion.Velocities;
import ai.igspark.diffusion.VelocityNet;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/** A {@link VelocityNet} whose parameters are trained: they require gradients. */
public interface TrainableNet extends VelocityNet {

  /**
   * The trainable parameters in a fixed order under their official names; the gradient of each is
   * read with {@link NDArray#getGradient()}. The same map instance or an equal one every call.
   */
  Map<String, NDArray> trainableParameters();

  /**
   * Joins a forward function and its parameters, e.g. {@code TrainableNet.of(model::forward, params)}.
   */
  static TrainableNet of(VelocityNet forward, Map<String, NDArray> parameters) {
    Map<String, NDArray> fixed = Collections.unmodifiableMap(new LinkedHashMap<>(parameters));
    return new TrainableNet() {
      @Override
      public Velocities predict(NDArray x, NDArray t, NDArray y) {
        return forward.predict(x, t, y);
      }

      @Override
      public Map<String, NDArray> trainableParameters() {
        return fixed;
      }
    };
  }
}
