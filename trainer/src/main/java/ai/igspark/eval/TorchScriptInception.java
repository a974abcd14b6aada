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
import ai.igspark.data.Sha256;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * A user-supplied TorchScript Inception loaded through DJL (docs/METRICS.md §7). Contract:
 * {@code forward(x)} takes uint8 images NCHW (N, 3, H, W), 0–255, of any size (the network
 * resizes and normalises inside), and returns a tuple of float32 tensors: first the pool features
 * (N, 2048), then optionally the spatial features (N, 2023: first 7 channels of
 * Mixed_6d.branch1x1, HWC-flattened) and/or the bias-free logits (N, 1008), recognised by width.
 *
 * <p>The contract is checked once at load time with a probe batch, so a wrong file fails before
 * any sampling, with a message naming the file and what was expected versus found.
 */
public final class TorchScriptInception implements FeatureExtractor {
  public static final int POOL_DIM = 2048;
  public static final int SPATIAL_DIM = 2023;
  public static final int LOGITS_DIM = 1008;
  private static final int PROBE_IMAGES = 2;
  private static final int PROBE_SIZE = 256;

  private final String file; // as the user named it
  private final String sha256;
  private final Model model;
  private final Block block;
  private final List<Output> order; // output index → meaning
  private final Map<Output, Integer> outputs;

  private TorchScriptInception(
      String file, String sha256, Model model, List<Output> order) {
    this.file = file;
    this.sha256 = sha256;
    this.model = model;
    this.block = model.getBlock();
    this.order = List.copyOf(order);
    Map<Output, Integer> widths = new EnumMap<>(Output.class);
    for (Output o : order) {
      widths.put(o, width(o));
    }
    this.outputs = Collections.unmodifiableMap(widths);
  }

  private static int width(Output o) {
    return switch (o) {
      case POOL -> POOL_DIM;
      case SPATIAL -> SPATIAL_DIM;
      case LOGITS -> LOGITS_DIM;
    };
  }

  /** Loads the file, records its SHA-256 and checks the contract on a probe batch. */
  public static TorchScriptInception load(Path file) {
    return load(file, file.toString());
  }

  /**
   * As {@link #load(Path)}; messages and {@link #description()} name {@code displayName} (the
   * user's path, when {@code file} is the copy Spark shipped to an executor).
   */
  public static TorchScriptInception load(Path file, String displayName) {
    return load(file, displayName, Device.cpu());
  }

  /** As {@link #load(Path, String)}, with the module and its inputs on {@code device}. */
  public static TorchScriptInception load(Path file, String displayName, Device device) {
    if (!Files.isRegularFile(file)) {
      throw new InvalidInputException(displayName + ": no such TorchScript file (--inception)");
    }
    String sha = Sha256.of(file);
    LoopbackOnly.apply();
    Model model = Model.newInstance("inception", device, "PyTorch");
    try {
      TorchScriptDecoder.loadOnto(model, file, device);
    } catch (IOException | MalformedModelException | EngineException e) {
      model.close();
      throw new InvalidInputException(
          displayName + ": cannot load as a TorchScript module: " + e.getMessage(), e);
    }
    try {
      return new TorchScriptInception(
          displayName, sha, model, probe(displayName, model));
    } catch (RuntimeException e) {
      model.close();
      throw e;
    }
  }

  /** Runs the probe batch and maps each output to its meaning, or explains the violation. */
  private static List<Output> probe(String file, Model model) {
    String expected =
        "expected forward(uint8 (N, 3, H, W)) -> float32 (N, " + POOL_DIM + ") pool features, "
            + "then optionally (N, " + SPATIAL_DIM + ") spatial and/or (N, " + LOGITS_DIM
            + ") logits (docs/METRICS.md §7)";
    byte[] pixels = new byte[PROBE_IMAGES * PROBE_SIZE * PROBE_SIZE * 3];
    for (int i = 0; i < pixels.length; i++) {
      pixels[i] = (byte) (i * 37 % 256); // a deterministic pattern, not a flat image
    }
    List<Output> order = new ArrayList<>();
    try (NDManager manager = model.getNDManager().newSubManager()) {
      NDList out;
      try {
        out = forward(model.getBlock(), manager,
            new ImageBatch(pixels, PROBE_IMAGES, PROBE_SIZE, PROBE_SIZE));
      } catch (EngineException e) {
        throw new InvalidInputException(
            file + ": violates the feature-extractor contract: the probe batch of "
                + PROBE_IMAGES + " uint8 images (" + PROBE_IMAGES + ", 3, " + PROBE_SIZE + ", "
                + PROBE_SIZE + ") failed: " + firstLine(e.getMessage()) + "; " + expected, e);
      }
      if (out.isEmpty() || out.size() > 3) {
        throw new InvalidInputException(
            file + ": violates the feature-extractor contract: " + out.size() + " outputs; "
                + expected);
      }
      for (int i = 0; i < out.size(); i++) {
        NDArray a = out.get(i);
        Shape s = a.getShape();
        String found = "output " + i + " is " + a.getDataType() + " " + s;
        long w = s.dimension() == 2 ? s.get(1) : -1;
        Output meaning =
            i == 0 ? (w == POOL_DIM ? Output.POOL : null)
                : w == SPATIAL_DIM ? Output.SPATIAL : w == LOGITS_DIM ? Output.LOGITS : null;
        if (a.getDataType() != DataType.FLOAT32 || s.dimension() != 2
            || s.get(0) != PROBE_IMAGES || meaning == null || order.contains(meaning)) {
          throw new InvalidInputException(
              file + ": violates the feature-extractor contract: " + found + " for a probe batch "
                  + "of " + PROBE_IMAGES + " images; " + expected);
        }
        float[] values = a.toFloatArray();
        for (float v : values) {
          if (!Float.isFinite(v)) {
            throw new InvalidInputException(
                file + ": violates the feature-extractor contract: " + found + " holds " + v
                    + " on the probe batch; features must be finite");
          }
        }
        order.add(meaning);
      }
    }
    return order;
  }

  private static String firstLine(String message) {
    if (message == null) {
      return "(no message)";
    }
    int nl = message.indexOf('\n');
    return nl < 0 ? message : message.substring(0, nl);
  }

  private static NDList forward(Block block, NDManager manager, ImageBatch images) {
    // Grad mode is thread-local in libtorch and on in fresh threads (docs/PLATFORM.md §1).
    JniUtils.setGradMode(false);
    int n = images.count();
    int h = images.height();
    int w = images.width();
    NDArray nchw =
        images.layout() == ImageBatch.Layout.NCHW
            ? manager.create(ByteBuffer.wrap(images.pixels()), new Shape(n, 3, h, w),
                DataType.UINT8)
            : manager
                .create(ByteBuffer.wrap(images.pixels()), new Shape(n, h, w, 3), DataType.UINT8)
                .transpose(0, 3, 1, 2);
    return block.forward(new ParameterStore(manager, false), new NDList(nchw), false);
  }

  @Override
  public Map<Output, Integer> outputs() {
    return outputs;
  }

  @Override
  public Features extract(ImageBatch images) {
    float[][] byOutput = new float[Output.values().length][];
    try (NDManager manager = model.getNDManager().newSubManager()) {
      NDList out = forward(block, manager, images);
      if (out.size() != order.size()) {
        throw new IllegalStateException(
            file + " returned " + out.size() + " outputs after " + order.size() + " at load time");
      }
      for (int i = 0; i < order.size(); i++) {
        NDArray a = out.get(i);
        Output o = order.get(i);
        if (!a.getShape().equals(new Shape(images.count(), width(o)))
            || a.getDataType() != DataType.FLOAT32) {
          throw new InvalidInputException(
              file + ": output " + i + " is " + a.getDataType() + " " + a.getShape() + " for "
                  + images.count() + " images of " + images.height() + "×" + images.width()
                  + "; expected float32 (" + images.count() + ", " + width(o) + ")");
        }
        byOutput[o.ordinal()] = a.toFloatArray();
      }
    }
    return new Features(
        images.count(),
        byOutput[Output.POOL.ordinal()],
        byOutput[Output.SPATIAL.ordinal()],
        byOutput[Output.LOGITS.ordinal()]);
  }

  @Override
  public String sha256() {
    return sha256;
  }

  @Override
  public String description() {
    return file;
  }

  @Override
  public void close() {
    model.close();
  }
}
