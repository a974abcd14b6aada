package ai.igspark.diffusion;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.igspark.tensor.TorchOwnedArrays;
import java.util.random.RandomGenerator;

/**
 * The random quantities of one loss evaluation, drawn up front so that a step is reproducible from
 * its seed and tests can inject them.
 *
 * @param t float32 [N], SiT time
 * @param noise float32, same shape as the data
 * @param dropLabel boolean [N], true where the label is replaced by the null class
 */
public record LossDraws(NDArray t, NDArray noise, NDArray dropLabel) {

  /**
   * Draws, in this order, N times, then the noise (row-major), then N dropout coins from {@code
   * rng}. Arrays are created in {@code manager}.
   */
  public static LossDraws draw(
      NDManager manager,
      Shape dataShape,
      TimeSampling timeSampling,
      float labelDropProb,
      RandomGenerator rng) {
    int n = Math.toIntExact(dataShape.get(0));
    float[] t = new float[n];
    for (int i = 0; i < n; i++) {
      t[i] = timeSampling.draw(rng);
    }
    float[] noise = new float[Math.toIntExact(dataShape.size())];
    for (int i = 0; i < noise.length; i++) {
      noise[i] = (float) rng.nextGaussian();
    }
    boolean[] drop = new boolean[n];
    for (int i = 0; i < n; i++) {
      drop[i] = rng.nextFloat() < labelDropProb;
    }
    return new LossDraws(
        TorchOwnedArrays.floats(manager, t, new Shape(n)),
        TorchOwnedArrays.floats(manager, noise, dataShape),
        manager.create(drop).toType(DataType.BOOLEAN, false));
  }
}
