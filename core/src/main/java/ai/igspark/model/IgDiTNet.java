package ai.igspark.model;

import ai.djl.ndarray.NDArray;
import ai.igspark.diffusion.Velocities;
import ai.igspark.tensor.FlatParameters;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/** The IG model seen by the diffusion code: both heads' velocities, and what is trained. */
public final class IgDiTNet implements TrainableNet {
  private final IgDiT model;
  private final Map<String, NDArray> trainable;

  public IgDiTNet(IgDiT model) {
    this.model = model;
    Map<String, NDArray> state = model.stateDict();
    Map<String, NDArray> params = new LinkedHashMap<>();
    for (String name : model.trainableNames()) {
      params.put(name, state.get(name));
    }
    this.trainable = Collections.unmodifiableMap(params);
  }

  public IgDiT model() {
    return model;
  }

  @Override
  public Velocities predict(NDArray x, NDArray t, NDArray y) {
    return model.forward(x, t, y);
  }

  @Override
  public Map<String, NDArray> trainableParameters() {
    return trainable;
  }

  @Override
  public FlatParameters flatParameters() {
    return model.flatParameters();
  }
}
