package ai.igspark.data.ingest;

import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.ParameterStore;
import ai.igspark.data.InvalidInputException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * A user-supplied VAE encoder saved with {@code torch.jit.save}: float NCHW pixels in [-1, 1] in,
 * latents [N, C, H, W] out. Loaded through DJL's PyTorch engine (the module becomes a
 * PtSymbolBlock) and run without gradients. The output shape is checked against the latent shape
 * the user declared, so a wrong encoder (or resolution) fails on the first batch, naming the file.
 */
public final class TorchScriptVae implements AutoCloseable {
  private final Path file;
  private final String displayName;
  private final int[] latentShape;
  private final Model model;
  private final Block block;

  private TorchScriptVae(Path file, String displayName, int[] latentShape, Model model) {
    this.file = file;
    this.displayName = displayName;
    this.latentShape = latentShape.clone();
    this.model = model;
    this.block = model.getBlock();
  }

  /** Loads {@code file} (a TorchScript archive) to produce latents of {@code [C, H, W]}. */
  public static TorchScriptVae load(Path file, int[] latentShape) {
    return load(file, latentShape, file.toString());
  }

  /**
   * As {@link #load(Path, int[])}; messages name {@code displayName} (the user's path, when
   * {@code file} is a copy Spark shipped to an executor).
   */
  public static TorchScriptVae load(Path file, int[] latentShape, String displayName) {
    if (!Files.isRegularFile(file)) {
      throw new InvalidInputException(file + ": VAE encoder file not found");
    }
    Engine.getEngine("PyTorch"); // loads the natives before any JniUtils call
    String name = file.getFileName().toString();
    String base = name.endsWith(".pt") ? name.substring(0, name.length() - 3) : name;
    Model model = Model.newInstance(base, "PyTorch");
    try {
      model.load(file.toAbsolutePath().getParent(), base);
    } catch (IOException | MalformedModelException | RuntimeException e) {
      model.close();
      throw new InvalidInputException(
          displayName + ": cannot load as a TorchScript module (save it with torch.jit.save): "
              + e.getMessage(), e);
    }
    return new TorchScriptVae(file, displayName, latentShape, model);
  }

  public Path file() {
    return file;
  }

  /**
   * Encodes {@code n} images of {@code size × size}, given as CHW floats in [-1, 1] one after the
   * other; returns the latents, {@code n · C·H·W} floats.
   */
  public float[] encode(float[] pixels, int n, int size) {
    // Grad mode is per thread in libtorch and Spark task threads start with it on.
    JniUtils.setGradMode(false);
    try (NDManager manager = model.getNDManager().newSubManager()) {
      NDArray x = manager.create(pixels, new Shape(n, 3, size, size));
      NDList out = block.forward(new ParameterStore(manager, false), new NDList(x), false);
      if (out.isEmpty()) {
        throw new InvalidInputException(displayName + ": the VAE encoder returned no tensor");
      }
      NDArray z = out.get(0);
      long[] got = z.getShape().getShape();
      long[] want = {n, latentShape[0], latentShape[1], latentShape[2]};
      if (!Arrays.equals(got, want)) {
        throw new InvalidInputException(
            displayName + ": the VAE encoder maps " + size + "x" + size
                + " images to latents of shape "
                + Arrays.toString(got.length > 0 ? Arrays.copyOfRange(got, 1, got.length) : got)
                + ", but the declared latent shape (--latent-shape) is "
                + Arrays.toString(latentShape));
      }
      return z.toType(ai.djl.ndarray.types.DataType.FLOAT32, false).toFloatArray();
    }
  }

  @Override
  public void close() {
    model.close();
  }
}
