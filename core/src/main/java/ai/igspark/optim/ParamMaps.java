package ai.igspark.optim;

import ai.djl.ndarray.NDArray;
import java.util.Map;

final class ParamMaps {
  private ParamMaps() {}

  static NDArray gradient(Map<String, NDArray> grads, String name) {
    NDArray g = grads.get(name);
    if (g == null) {
      throw new IllegalArgumentException("no gradient given for parameter '" + name + "'");
    }
    return g;
  }
}
