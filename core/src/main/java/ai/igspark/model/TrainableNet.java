package ai.igspark.model;

import ai.djl.ndarray.NDArray;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.igspark.diffusion.Velocities;
import ai.igspark.diffusion.VelocityNet;
import ai.igspark.tensor.FlatParameters;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/** A {@link VelocityNet} whose parameters are trained: they require gradients. */
public interface TrainableNet extends VelocityNet {

  /**
   * The trainable parameters in a fixed order under their official names, read and updated in
   * place (with grad mode off); their gradients are {@link #gradients()}. The same map instance or
   * an equal one every call.
   */
  Map<String, NDArray> trainableParameters();

  /**
   * The flat storage the trainable parameters are views of, or null when they are separate
   * arrays that require grad themselves.
   */
  default FlatParameters flatParameters() {
    return null;
  }

  /** The accumulated gradients by parameter name, sharing their memory, in the caller's scope. */
  default Map<String, NDArray> gradients() {
    FlatParameters flat = flatParameters();
    if (flat != null) {
      return flat.gradientViews();
    }
    Map<String, NDArray> grads = new LinkedHashMap<>();
    trainableParameters().forEach((name, p) -> grads.put(name, p.getGradient()));
    return grads;
  }

  /** Sets every gradient to zero in place (also clears NaN, unlike multiplying by 0). */
  default void zeroGradients() {
    FlatParameters flat = flatParameters();
    if (flat != null) {
      flat.zeroGradients();
      return;
    }
    for (NDArray p : trainableParameters().values()) {
      JniUtils.zeroGrad((PtNDArray) p);
    }
  }

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
