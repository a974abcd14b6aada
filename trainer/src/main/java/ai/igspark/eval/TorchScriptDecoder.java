package ai.igspark.eval;

import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.engine.EngineException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.ParameterStore;
import ai.igspark.data.InvalidInputException;
import ai.igspark.data.LoopbackOnly;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * A user-supplied TorchScript VAE decoder loaded through DJL. Contract: {@code forward(z)} takes
 * float32 latents (N, C, h, w) with the model's latent shape, already un-normalised (the dataset's
 * normalisation undone, e.g. {@code x / 0.18215} for SD-VAE latents), and returns one float tensor
 * (N, 3, H, W) of RGB images in [−1, 1] (a little overshoot is fine: the uint8 conversion clamps).
 *
 * <p>The contract is checked at load time on a probe batch of two latents; a violation fails
 * before any sampling, naming the file, what was expected and what was found.
 */
public final class TorchScriptDecoder implements AutoCloseable {
  private static final int PROBE = 2;
  /**
   * Outputs beyond this magnitude on the probe are not [−1, 1] images (e.g. 0–255 pixels). A VAE
   * overshoots [−1, 1] only slightly, even on random latents.
   */
  static final float MAX_ABS = 4f;

  private final String name;
  private final Model model;
  private final Block block;
  private final int[] latentShape;
  private final int height;
  private final int width;

  private TorchScriptDecoder(String name, Model model, int[] latentShape, int height, int width) {
    this.name = name;
    this.model = model;
    this.block = model.getBlock();
    this.latentShape = latentShape.clone();
    this.height = height;
    this.width = width;
  }

  /**
   * Loads {@code file} and checks the contract for latents of {@code latentShape} [C, h, w];
   * messages name {@code displayName} (the user's path when {@code file} is a shipped copy).
   */
  public static TorchScriptDecoder load(Path file, int[] latentShape, String displayName) {
    return load(file, latentShape, displayName, Device.cpu());
  }

  /** As {@link #load(Path, int[], String)}, with the module and its inputs on {@code device}. */
  public static TorchScriptDecoder load(
      Path file, int[] latentShape, String displayName, Device device) {
    if (!Files.isRegularFile(file)) {
      throw new InvalidInputException(displayName + ": no such TorchScript file (VAE decoder)");
    }
    LoopbackOnly.apply();
    Model model = Model.newInstance("vae-decoder", device, "PyTorch");
    try {
      loadOnto(model, file, device);
    } catch (IOException | MalformedModelException | EngineException e) {
      model.close();
      throw new InvalidInputException(
          displayName + ": cannot load as a TorchScript module (save it with torch.jit.save): "
              + e.getMessage(), e);
    }
    try {
      int[] hw = probe(displayName, model, latentShape);
      return new TorchScriptDecoder(displayName, model, latentShape, hw[0], hw[1]);
    } catch (RuntimeException e) {
      model.close();
      throw e;
    }
  }

  /**
   * Loads a TorchScript file into {@code model}; on a GPU its tensors are mapped onto that
   * device ({@code mapLocation}), whatever device they were saved from.
   */
  static void loadOnto(Model model, Path file, Device device)
      throws IOException, MalformedModelException {
    if (device.isGpu()) {
      model.load(file.toAbsolutePath(), null, Map.of("mapLocation", "true"));
    } else {
      model.load(file.toAbsolutePath());
    }
  }

  private static String contract(int[] latentShape) {
    return "expected forward(float32 (N, " + latentShape[0] + ", " + latentShape[1] + ", "
        + latentShape[2] + ") un-normalised latents) -> float (N, 3, H, W) images in [-1, 1]";
  }

  /** Decodes deterministic N(0, 1)·3 latents and returns the image height and width. */
  private static int[] probe(String name, Model model, int[] latentShape) {
    int per = latentShape[0] * latentShape[1] * latentShape[2];
    float[] z = new float[PROBE * per];
    SplittableRandom random = new SplittableRandom(0);
    for (int i = 0; i < z.length; i++) {
      z[i] = (float) (3 * gaussian(random)); // roughly SD-VAE's unscaled latent spread
    }
    float[] out;
    long[] shape;
    try (NDManager manager = model.getNDManager().newSubManager()) {
      NDArray x;
      try {
        x = forward(name, model.getBlock(), manager, z, PROBE, latentShape);
      } catch (EngineException e) {
        throw new InvalidInputException(
            name + ": violates the VAE-decoder contract: a probe batch of " + PROBE + " latents "
                + Arrays.toString(latentShape) + " failed: " + firstLine(e.getMessage()) + "; "
                + contract(latentShape), e);
      }
      shape = x.getShape().getShape();
      DataType type = x.getDataType();
      if (!type.isFloating() || shape.length != 4 || shape[0] != PROBE || shape[1] != 3
          || shape[2] < 1 || shape[3] < 1) {
        throw new InvalidInputException(
            name + ": violates the VAE-decoder contract: it returned " + type + " "
                + Arrays.toString(shape) + " for " + PROBE + " latents; " + contract(latentShape));
      }
      out = toFloats(x);
    }
    float maxAbs = 0;
    for (float v : out) {
      if (!Float.isFinite(v)) {
        throw new InvalidInputException(
            name + ": violates the VAE-decoder contract: it returned " + v + " on the probe "
                + "latents; decoded images must be finite");
      }
      maxAbs = Math.max(maxAbs, Math.abs(v));
    }
    if (maxAbs > MAX_ABS) {
      throw new InvalidInputException(
          name + ": violates the VAE-decoder contract: the probe images reach |x| = " + maxAbs
              + "; expected images in [-1, 1] (0-255 or other pixel ranges must be mapped to "
              + "[-1, 1] inside the module)");
    }
    return new int[] {Math.toIntExact(shape[2]), Math.toIntExact(shape[3])};
  }

  private static double gaussian(SplittableRandom r) {
    // Box–Muller: SplittableRandom has no nextGaussian before Java 17's RandomGenerator default.
    double u = 1 - r.nextDouble();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * r.nextDouble());
  }

  private static NDArray forward(
      String name, Block block, NDManager manager, float[] z, int n, int[] latentShape) {
    // Grad mode is thread-local in libtorch and on in fresh threads (docs/PLATFORM.md §1).
    JniUtils.setGradMode(false);
    NDArray x = manager.create(z, new Shape(n, latentShape[0], latentShape[1], latentShape[2]));
    NDList out = block.forward(new ParameterStore(manager, false), new NDList(x), false);
    if (out.isEmpty()) {
      throw new InvalidInputException(name + ": the VAE decoder returned no tensor");
    }
    return out.get(0);
  }

  /** float16/float64 outputs are widened/narrowed in libtorch; bf16 never reaches Java. */
  private static float[] toFloats(NDArray x) {
    return x.getDataType() == DataType.FLOAT32
        ? x.toFloatArray()
        : x.toType(DataType.FLOAT32, false).toFloatArray();
  }

  private static String firstLine(String message) {
    if (message == null) {
      return "(no message)";
    }
    int nl = message.indexOf('\n');
    return nl < 0 ? message : message.substring(0, nl);
  }

  public int height() {
    return height;
  }

  public int width() {
    return width;
  }

  /**
   * Decodes {@code n} un-normalised latents (NCHW floats); returns n × 3 × H × W floats.
   */
  public float[] decode(float[] latents, int n) {
    try (NDManager manager = model.getNDManager().newSubManager()) {
      NDArray x = forward(name, block, manager, latents, n, latentShape);
      long[] want = {n, 3, height, width};
      if (!Arrays.equals(x.getShape().getShape(), want) || !x.getDataType().isFloating()) {
        throw new InvalidInputException(
            name + ": returned " + x.getDataType() + " " + x.getShape() + " for " + n
                + " latents after " + Arrays.toString(new long[] {PROBE, 3, height, width})
                + " at load time; expected float " + Arrays.toString(want));
      }
      return toFloats(x);
    }
  }

  @Override
  public void close() {
    model.close();
  }
}
