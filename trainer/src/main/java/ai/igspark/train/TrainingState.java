package ai.igspark.train;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.igspark.ckpt.CheckpointWriter;
import ai.igspark.ckpt.FileEntry;
import ai.igspark.config.RunConfig;
import ai.igspark.data.InvalidInputException;
import ai.igspark.model.IgDiT;
import ai.igspark.model.IgDiTNet;
import ai.igspark.model.ModelCheckpoints;
import ai.igspark.model.ModelConfig;
import ai.igspark.optim.Ema;
import ai.igspark.optim.FrozenDecay;
import ai.igspark.optim.ParamOptimizer;
import ai.igspark.tensorfile.HostTensor;
import ai.igspark.tensorfile.SafetensorsFile;
import ai.igspark.tensorfile.SafetensorsWriter;
import java.io.IOException;
import java.io.InputStream;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Everything one replica trains with: the model, its optimizer and EMA, and the step that drives
 * them. This is what a checkpoint holds (docs/ARCHITECTURE.md §5) and what an executor keeps warm
 * between segments.
 */
public final class TrainingState implements AutoCloseable {
  public static final String MODEL_FILE = "model.safetensors";
  public static final String EMA_FILE = "ema.safetensors";
  public static final String OPTIMIZER_FILE = "optimizer.safetensors";

  private final NDManager manager;
  private final IgDiT model;
  private final ParamOptimizer optimizer;
  private final Ema ema;
  private final TrainStep step;

  private TrainingState(NDManager manager, IgDiT model, TrainingRecipe recipe, float emaDecay) {
    this.manager = manager;
    this.model = model;
    IgDiTNet net = new IgDiTNet(model);
    this.optimizer = recipe.optimizer(manager);
    FrozenDecay frozenDecay = recipe.frozenDecay(model.stateDict()).orElse(null);
    // The EMA shares the model's flat groups (decayed frozen parameters first, gathered).
    this.ema = new Ema(manager, frozenDecay == null ? Map.of() : frozenDecay.params(),
        model.flatParameters(), emaDecay);
    this.step =
        new TrainStep(
            net,
            model.config().timeConvention(),
            recipe.loss(),
            optimizer,
            frozenDecay,
            ema,
            recipe.schedule(),
            recipe.train().gradClip());
  }

  /** A freshly initialised replica on {@code device} (official initialisation from the seed). */
  public static TrainingState create(
      ModelConfig modelConfig, RunConfig.Train train, Device device, long seed) {
    try {
      return create(modelConfig, train, device, seed, null, 0, null);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e); // nothing is read without a checkpoint
    }
  }

  /**
   * A replica on {@code device} restored from a committed checkpoint's files: model, EMA,
   * optimizer moments and the step count ({@code files} null: the initialisation).
   */
  public static TrainingState create(
      ModelConfig modelConfig,
      RunConfig.Train train,
      Device device,
      long seed,
      CheckpointFiles files,
      long completedSteps,
      String source)
      throws IOException {
    NDManager manager = NDManager.newBaseManager(device);
    try {
      IgDiT model = IgDiT.create(modelConfig, manager, seed);
      if (files != null) {
        // Loading replaces the parameter arrays, so it comes before anything holds them.
        model.loadStateDict(read(files, MODEL_FILE, source), source + "/" + MODEL_FILE);
      }
      TrainingState state =
          new TrainingState(
              manager,
              model,
              new TrainingRecipe(train, modelConfig),
              train.emaDecay().floatValue());
      if (files != null) {
        state.restoreOptimizerAndEma(files, completedSteps, source);
      }
      return state;
    } catch (IOException | RuntimeException e) {
      manager.close();
      throw e;
    }
  }

  public IgDiT model() {
    return model;
  }

  public TrainStep step() {
    return step;
  }

  public Ema ema() {
    return ema;
  }

  /** Number of optimizer updates applied so far (skipped non-finite steps count too). */
  public long completedSteps() {
    return step.completedSteps();
  }

  /**
   * EMA weights under official names, with the frozen entries (pos_embed, RoPE tables) too:
   * {@code pos_embed} is the EMA's own average when the recipe decays it, the model's otherwise.
   */
  public Map<String, HostTensor> emaStateDict() {
    Map<String, HostTensor> out = model.hostStateDict();
    ema.weights().forEach((name, w) -> out.put(name, HostArrays.toHost(w)));
    return out;
  }

  /** Writes the three state files into a checkpoint attempt directory. */
  public List<FileEntry> save(CheckpointWriter writer) throws IOException {
    writer.write(MODEL_FILE, out -> ModelCheckpoints.exportSafetensors(model, out));
    writer.write(
        EMA_FILE, out -> ModelCheckpoints.exportSafetensors(model.config(), emaStateDict(), out));
    writer.write(
        OPTIMIZER_FILE,
        out ->
            new SafetensorsWriter()
                .metadata("igspark.completed_steps", Long.toString(step.completedSteps()))
                .addAll(HostArrays.toHost(optimizer.state()))
                .write(out));
    return writer.files();
  }

  /** Source of a checkpoint's files (a committed checkpoint on any Hadoop filesystem). */
  @FunctionalInterface
  public interface CheckpointFiles {
    InputStream open(String fileName) throws IOException;
  }

  private void restoreOptimizerAndEma(CheckpointFiles files, long completedSteps, String source)
      throws IOException {
    Map<String, HostTensor> emaAll = read(files, EMA_FILE, source);
    Map<String, HostTensor> emaTrainable = new LinkedHashMap<>();
    for (String name : ema.weights().keySet()) {
      HostTensor t = emaAll.get(name);
      if (t == null) {
        throw new InvalidInputException(source + "/" + EMA_FILE + ": missing '" + name + "'");
      }
      emaTrainable.put(name, t);
    }
    try (NDManager scratch = manager.newSubManager()) {
      ema.load(HostArrays.toDevice(emaTrainable, scratch));
      Map<String, NDArray> opt = HostArrays.toDevice(read(files, OPTIMIZER_FILE, source), scratch);
      if (!opt.isEmpty()) {
        optimizer.loadState(opt);
      }
    }
    step.resumeAt(completedSteps);
  }

  private static Map<String, HostTensor> read(CheckpointFiles files, String name, String source)
      throws IOException {
    try (InputStream in = files.open(name);
        SafetensorsFile st = SafetensorsFile.read(in, source + "/" + name)) {
      Map<String, HostTensor> out = new LinkedHashMap<>();
      for (String n : st.names()) {
        out.put(n, st.read(n));
      }
      return out;
    }
  }

  @Override
  public void close() {
    manager.close();
  }
}
