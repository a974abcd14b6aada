package ai.igspark.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.igspark.diffusion.Velocities;
import ai.igspark.model.ModelConfig.Family;
import ai.igspark.tensor.FlatParameters;
import ai.igspark.tensorfile.HostTensor;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A SiT or LightningDiT diffusion transformer with the Internal Guidance head (docs/METHOD.md §2.2,
 * §4): one forward pass maps (x_t, t, y) to the final velocity D_f and the intermediate velocity
 * D_i read after block {@code ig_depth}.
 *
 * <p>Parameters are plain NDArrays under their official PyTorch state-dict names ({@link
 * #stateDict()}); the trainable ones are views of flat group buffers that require grad ({@link
 * #flatParameters()}), so backward leaves one contiguous gradient per group. Training wraps
 * {@link #forward} in the caller's grad scope; nothing here records or steps on its own.
 */
public final class IgDiT implements AutoCloseable {
  private final ModelConfig cfg;
  private final NDManager manager;
  private final ModelState state;
  private final PatchEmbed xEmbedder;
  private final TimestepEmbedder tEmbedder;
  private final LabelEmbedder yEmbedder;
  private final List<DiTBlock> blocks = new ArrayList<>();
  private final FinalLayer finalLayer;
  private final FinalLayer igHead; // final_layer_xr; null when ig_depth is 0

  private IgDiT(ModelConfig cfg, NDManager parent) {
    this.cfg = cfg;
    this.manager = parent.newSubManager();
    this.state = new ModelState(manager);
    int d = cfg.hiddenSize();
    int grid = cfg.gridSize();
    // Declared in the official module order: pos_embed (a root parameter) first.
    state.declare(
        "pos_embed",
        new Shape(1, cfg.tokens(), d),
        ModelState.Kind.FROZEN_PARAMETER,
        Init.values(PositionEmbedding.sinCos2d(d, grid)));
    xEmbedder = new PatchEmbed(state, "x_embedder.", cfg.inChannels(), cfg.patchSize(), d);
    tEmbedder = new TimestepEmbedder(state, "t_embedder.", d);
    yEmbedder = new LabelEmbedder(state, "y_embedder.", cfg.numClasses(), d);
    boolean lightning = cfg.family() == Family.LIGHTNINGDIT;
    RotaryEmbedding rope =
        lightning && cfg.rope()
            ? new RotaryEmbedding(state, "feat_rope.", cfg.headDim(), grid)
            : null;
    for (int i = 0; i < cfg.depth(); i++) {
      blocks.add(new DiTBlock(state, "blocks." + i + ".", cfg, rope));
    }
    finalLayer = new FinalLayer(state, "final_layer.", cfg, true);
    // SiT zero-initialises the IG head like the final layer; LightningDiT leaves it Xavier (§2.2).
    igHead = cfg.hasIgHead() ? new FinalLayer(state, "final_layer_xr.", cfg, !lightning) : null;
  }

  /**
   * A freshly initialised model (DiT's initialize_weights: Xavier linears, N(0, 0.02) embeddings
   * and timestep MLP, zero adaLN and final layer), deterministic for a given seed.
   */
  public static IgDiT create(ModelConfig cfg, NDManager parent, long seed) {
    IgDiT model = new IgDiT(cfg, parent);
    try {
      model.state.initialize(seed);
    } catch (RuntimeException e) {
      model.close();
      throw e;
    }
    return model;
  }

  /**
   * Both heads for a batch.
   *
   * @param x float32 [N, C, H, W] noisy latents
   * @param t float32 [N] times in [0, 1], in this model's {@link ModelConfig#timeConvention()}
   * @param y int64 [N] labels, already dropped to {@link ModelConfig#nullClass()} by the caller
   * @return velocities attached to {@code x}'s manager; every intermediate is freed here (the
   *     autograd graph keeps what backward needs)
   */
  public Velocities forward(NDArray x, NDArray t, NDArray y) {
    checkInputs(x, t, y);
    NDManager out = x.getManager();
    NDArray vFinal;
    NDArray vIntermediate = null;
    try (NDScope scope = new NDScope()) {
      state.beginForward(); // the trainable parameters' views for this forward, in this scope
      NDArray h = xEmbedder.forward(x).add(state.get("pos_embed")); // [N, T, D]
      NDArray c = tEmbedder.forward(t).add(yEmbedder.forward(y)); // [N, D]
      for (int i = 0; i < blocks.size(); i++) {
        h = blocks.get(i).forward(h, c);
        if (i + 1 == cfg.igDepth()) { // the head reads after 1-based block ig_depth (§2.1)
          vIntermediate = keep(unpatchify(igHead.forward(h, c)), out);
        }
      }
      vFinal = keep(unpatchify(finalLayer.forward(h, c)), out);
    } finally {
      state.endForward();
    }
    // A caller that frees by NDScope rather than by manager owns the outputs too.
    NDScope.register(vFinal);
    if (vIntermediate != null) {
      NDScope.register(vIntermediate);
    }
    return new Velocities(vFinal, vIntermediate);
  }

  private static NDArray keep(NDArray a, NDManager owner) {
    NDScope.unregister(a);
    a.attach(owner);
    return a;
  }

  private void checkInputs(NDArray x, NDArray t, NDArray y) {
    Shape s = x.getShape();
    if (s.dimension() != 4
        || s.get(1) != cfg.inChannels()
        || s.get(2) != cfg.inputSize()
        || s.get(3) != cfg.inputSize()) {
      throw new IllegalArgumentException(
          "x must be [N, "
              + cfg.inChannels()
              + ", "
              + cfg.inputSize()
              + ", "
              + cfg.inputSize()
              + "], got "
              + s);
    }
    long n = s.get(0);
    if (!t.getShape().equals(new Shape(n)) || t.getDataType() != DataType.FLOAT32) {
      throw new IllegalArgumentException("t must be float32 [" + n + "], got " + t);
    }
    if (!y.getShape().equals(new Shape(n)) || y.getDataType() != DataType.INT64) {
      throw new IllegalArgumentException("y must be int64 [" + n + "], got " + y);
    }
  }

  /** [N, T, p·p·C] → [N, C, H, W] (einsum nhwpqc → nchpwq). */
  private NDArray unpatchify(NDArray tokens) {
    long n = tokens.getShape().get(0);
    int g = cfg.gridSize();
    int p = cfg.patchSize();
    int c = cfg.inChannels();
    return tokens
        .reshape(n, g, g, p, p, c)
        .transpose(0, 5, 1, 3, 2, 4)
        .reshape(n, c, (long) g * p, (long) g * p);
  }

  public ModelConfig config() {
    return cfg;
  }

  /** The model's own manager (a child of the one passed to {@link #create}). */
  public NDManager manager() {
    return manager;
  }

  /**
   * Every official state-dict entry (trainable parameters, the frozen {@code pos_embed}, and the
   * RoPE buffers for LightningDiT), live: in-place updates change the model.
   */
  public LinkedHashMap<String, NDArray> stateDict() {
    return state.asMap();
  }

  /** The trainable parameters' flat storage: group buffers, their views and gradients. */
  public FlatParameters flatParameters() {
    return state.flat();
  }

  /** Names of the parameters an optimiser updates (all but pos_embed and buffers), in order. */
  public List<String> trainableNames() {
    return state.names(ModelState.Kind.TRAINABLE);
  }

  /**
   * Replaces the whole state from host tensors keyed by official names (F16/BF16/F64 widened or
   * narrowed to float32). Strict: any missing, unexpected or mis-shaped key is an {@link
   * ai.igspark.data.InvalidInputException} naming {@code source} and listing them, and nothing is
   * changed.
   */
  public void loadStateDict(Map<String, HostTensor> tensors, String source) {
    state.load(tensors, source);
  }

  /** A float32 host copy of {@link #stateDict()} (for export and checkpoints). */
  public LinkedHashMap<String, HostTensor> hostStateDict() {
    return state.toHost();
  }

  @Override
  public void close() {
    manager.close();
  }
}
