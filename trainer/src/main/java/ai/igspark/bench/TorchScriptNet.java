package ai.igspark.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.ParameterStore;
import ai.djl.util.Pair;
import ai.igspark.diffusion.Velocities;
import ai.igspark.model.TrainableNet;
import java.nio.file.Path;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A traced {@code (x, t, y) -> (v_final, v_intermediate)} module run by DJL's own libtorch, with
 * its parameters trained like igspark's: the same names, in the same order.
 */
final class TorchScriptNet implements TrainableNet {
  private final PtSymbolBlock block;
  private final ParameterStore store;
  private final Map<String, NDArray> trainable = new LinkedHashMap<>();

  /**
   * @param trainableNames igspark's trainable parameter names, in its order; every other
   *     parameter of the module (the frozen pos_embed) gets no gradient
   */
  TorchScriptNet(NDManager manager, Path traced, Collection<String> trainableNames) {
    this.block =
        JniUtils.loadModule(
            (PtNDManager) manager, traced, false, new String[0], new String[0], true);
    this.store = new ParameterStore(manager, false);
    Map<String, NDArray> all = new LinkedHashMap<>();
    for (Pair<String, Parameter> p : block.getDirectParameters()) {
      all.put(p.getKey(), p.getValue().getArray());
    }
    for (String name : trainableNames) {
      NDArray p = all.remove(name);
      if (p == null) {
        throw new IllegalStateException(traced + ": no parameter '" + name + "'");
      }
      p.setRequiresGradient(true);
      trainable.put(name, p);
    }
    all.values().forEach(p -> p.setRequiresGradient(false));
  }

  @Override
  public Velocities predict(NDArray x, NDArray t, NDArray y) {
    NDList out = block.forward(store, new NDList(x, t, y), true);
    return new Velocities(out.get(0), out.get(1));
  }

  @Override
  public Map<String, NDArray> trainableParameters() {
    return trainable;
  }
}
