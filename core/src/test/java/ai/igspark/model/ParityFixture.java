package ai.igspark.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.igspark.tensorfile.HostTensor;
import ai.igspark.tensorfile.Npy;
import ai.igspark.tensorfile.Npz;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.Map;

/** One directory of fixtures/model-parity written by src/test/python/gen_model_parity.py. */
record ParityFixture(Path dir) {

  static ParityFixture named(String name) {
    try {
      return new ParityFixture(
          Path.of(ParityFixture.class.getResource("/fixtures/model-parity/" + name).toURI()));
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  ModelConfig config() {
    return ModelConfig.load(dir.resolve("model.yaml"));
  }

  Map<String, HostTensor> state() {
    return Npz.readAll(dir.resolve("state.npz"));
  }

  HostTensor host(String key) {
    return Npy.read(dir.resolve(key + ".npy"));
  }

  NDArray floats(NDManager m, String key) {
    HostTensor h = host(key);
    return m.create(h.toFloats(), new Shape(h.shape()));
  }

  NDArray longs(NDManager m, String key) {
    HostTensor h = host(key);
    return m.create(h.toLongs(), new Shape(h.shape()));
  }
}
