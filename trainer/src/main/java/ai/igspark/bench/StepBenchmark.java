package ai.igspark.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.igspark.diffusion.IgLoss;
import ai.igspark.diffusion.Velocities;
import ai.igspark.model.IgDiT;
import ai.igspark.model.IgDiTNet;
import ai.igspark.model.ModelCheckpoints;
import ai.igspark.model.ModelConfig;
import ai.igspark.model.Presets;
import ai.igspark.model.TrainableNet;
import ai.igspark.optim.AdamW;
import ai.igspark.optim.LrSchedule;
import ai.igspark.tensor.GradModeOff;
import ai.igspark.tensorfile.DType;
import ai.igspark.tensorfile.HostTensor;
import ai.igspark.train.TrainStep;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * {@code igspark bench step}: one IG training step (forward, backward, clip, AdamW) of a SiT on
 * CPU, driven op by op from Java (igspark) against the same model traced to TorchScript and
 * trained through the same DJL libtorch, the same {@link TrainStep}, loss and AdamW; optionally
 * against PyTorch eager in Debian's python3-torch (docs/benchmarks/step.md).
 */
public final class StepBenchmark {
  static final String IGSPARK = "igspark";
  static final String TORCHSCRIPT = "torchscript";
  static final String EAGER = "pytorch-eager";
  /** The traced module must reproduce igspark's forward to this absolute tolerance. */
  static final double PARITY_TOLERANCE = 1e-4;

  /**
   * @param preset model preset (ignored when {@code weights} carries a config)
   * @param python Debian python with torch for tracing and the eager figure; null for neither
   *     (then {@code traced} and {@code weights} must be given)
   * @param traced a TorchScript file of {@code weights}, or null to trace with {@code python}
   * @param weights igspark safetensors export, or null for seeded random non-zero weights
   */
  public record Settings(
      String preset,
      int batch,
      List<Integer> threads,
      int warmup,
      int reps,
      Path python,
      Path traced,
      Path weights,
      Path workDir) {}

  /**
   * @param maxAbsDiff largest |igspark − TorchScript| over both heads' outputs on one batch
   * @param torch Debian torch version and its build configuration (null without python)
   */
  public record Result(
      String model,
      int batch,
      long parameters,
      double maxAbsDiff,
      List<Timings> timings,
      String torch,
      String torchConfig) {

    public Timings timing(String variant, int threads) {
      return timings.stream()
          .filter(t -> t.variant().equals(variant) && t.threads() == threads)
          .findFirst()
          .orElse(null);
    }

    /** A Markdown table: per thread count, min/median of each variant and the ratios. */
    public String summary() {
      StringBuilder b = new StringBuilder();
      b.append(String.format(
          "model %s, batch %d, %,d trainable parameters; TorchScript max |diff| %.2e%n%n",
          model, batch, parameters, maxAbsDiff));
      b.append("| threads | variant | wall min s | wall median s | all wall ms | CPU min s"
          + " | CPU median s | wall median ÷ TorchScript | CPU median ÷ TorchScript |\n");
      b.append("|---|---|---|---|---|---|---|---|---|\n");
      for (Timings t : timings) {
        Timings ts = timing(TORCHSCRIPT, t.threads());
        b.append(String.format("| %d | %s | %.3f | %.3f | %s | %.3f | %.3f | %.3f | %.3f |%n",
            t.threads(), t.variant(), t.min(), t.median(), t.allMillis(), t.minCpu(),
            t.medianCpu(), t.median() / ts.median(), t.medianCpu() / ts.medianCpu()));
      }
      if (torch != null) {
        b.append("\nDebian torch ").append(torch).append(", torch.__config__.show():\n")
            .append(torchConfig);
      }
      return b.toString();
    }
  }

  private StepBenchmark() {}

  public static Result run(Settings s) throws IOException, InterruptedException {
    Files.createDirectories(s.workDir());
    PythonTorch py = s.python() == null ? null : PythonTorch.at(s.python(), s.workDir());
    if (py == null && (s.traced() == null || s.weights() == null)) {
      throw new IllegalArgumentException("without python, give both the traced file and weights");
    }
    ModelConfig cfg =
        s.weights() != null
            ? ModelCheckpoints.embeddedConfig(s.weights()).orElse(Presets.get(s.preset()))
            : Presets.get(s.preset());
    try (NDManager root = NDManager.newBaseManager()) {
      IgDiT model = IgDiT.create(cfg, root, 0);
      Path weights = s.weights();
      if (weights != null) {
        model.loadStateDict(ModelCheckpoints.load(weights), weights.toString());
      } else {
        // Official init zeroes the adaLN and output layers: the outputs would be 0 and the
        // parity check empty. Perturb every trainable tensor instead.
        model.loadStateDict(perturbed(model), "perturbed init");
        weights = s.workDir().resolve("weights.safetensors");
        ModelCheckpoints.exportSafetensors(model, weights);
      }
      Path traced = s.traced();
      if (traced == null) {
        traced = s.workDir().resolve("sit-ig.pt");
        py.trace(weights, traced, s.batch());
      }
      IgDiTNet ig = new IgDiTNet(model);
      TorchScriptNet ts = new TorchScriptNet(root, traced, ig.trainableParameters().keySet());

      SplittableRandom data = new SplittableRandom(1);
      NDArray x = gaussian(root, new Shape(s.batch(), cfg.inChannels(), cfg.inputSize(),
          cfg.inputSize()), data);
      long[] labels = new long[s.batch()];
      for (int i = 0; i < labels.length; i++) {
        labels[i] = data.nextInt(cfg.numClasses());
      }
      NDArray y = root.create(labels);
      double diff = maxAbsDiff(ig, ts, x, y, root, data);
      if (!(diff <= PARITY_TOLERANCE)) {
        throw new IllegalStateException(String.format(
            "%s: TorchScript outputs differ from igspark's by %.3e > %.0e; the comparison would"
                + " not be apples to apples", traced, diff, PARITY_TOLERANCE));
      }

      TrainStep igStep = trainStep(ig, cfg, root);
      TrainStep tsStep = trainStep(ts, cfg, root);
      List<Timings> timings = new ArrayList<>();
      String torch = null;
      String torchConfig = null;
      for (int threads : s.threads()) {
        intraOpThreads(threads);
        SplittableRandom igRng = new SplittableRandom(2);
        SplittableRandom tsRng = new SplittableRandom(2);
        for (int i = 0; i < s.warmup(); i++) {
          timeStep(igStep, x, y, igRng);
          timeStep(tsStep, x, y, tsRng);
        }
        double[][] igSec = new double[2][s.reps()];
        double[][] tsSec = new double[2][s.reps()];
        for (int r = 0; r < s.reps(); r++) {
          // Alternate which goes first so a change of machine load hits both alike.
          if (r % 2 == 0) {
            measure(igStep, x, y, igRng, igSec, r);
            measure(tsStep, x, y, tsRng, tsSec, r);
          } else {
            measure(tsStep, x, y, tsRng, tsSec, r);
            measure(igStep, x, y, igRng, igSec, r);
          }
        }
        timings.add(new Timings(IGSPARK, threads, igSec[0], igSec[1]));
        timings.add(new Timings(TORCHSCRIPT, threads, tsSec[0], tsSec[1]));
        if (py != null) {
          JsonNode e = py.eager(weights, s.batch(), threads, s.warmup(), s.reps());
          timings.add(new Timings(
              EAGER, threads, doubles(e.get("seconds")), doubles(e.get("cpu_seconds"))));
          torch = e.get("torch").asText();
          torchConfig = e.get("config").asText();
        }
      }
      long params = 0;
      for (NDArray p : ig.trainableParameters().values()) {
        params += p.size();
      }
      return new Result(modelName(cfg, s), s.batch(), params, diff, timings, torch, torchConfig);
    }
  }

  private static String modelName(ModelConfig cfg, Settings s) {
    return Presets.all().entrySet().stream()
        .filter(e -> e.getValue().equals(cfg))
        .map(Map.Entry::getKey)
        .findFirst()
        .orElse(s.weights() != null ? s.weights().getFileName().toString() : s.preset());
  }

  static TrainStep trainStep(TrainableNet net, ModelConfig cfg, NDManager manager) {
    return new TrainStep(
        net,
        cfg.timeConvention(),
        IgLoss.sit(cfg.numClasses()),
        new AdamW(manager, AdamW.Config.sit()),
        null,
        LrSchedule.constant(1e-4f),
        1.0);
  }

  private static double[] doubles(JsonNode array) {
    double[] v = new double[array.size()];
    for (int i = 0; i < v.length; i++) {
      v[i] = array.get(i).asDouble();
    }
    return v;
  }

  /** One step into {@code out[0][r]} (wall seconds) and {@code out[1][r]} (process CPU). */
  private static void measure(
      TrainStep step, NDArray x, NDArray y, SplittableRandom rng, double[][] out, int r) {
    long cpu0 = processCpuNanos();
    out[0][r] = timeStep(step, x, y, rng);
    out[1][r] = (processCpuNanos() - cpu0) / 1e9;
  }

  /** Sets libtorch's intra-op threads (loading the engine first: the call is native). */
  static void intraOpThreads(int n) {
    ai.djl.engine.Engine.getInstance();
    ai.djl.pytorch.jni.JniUtils.setNumThreads(n);
  }

  /** CPU time of this process, every thread (the intra-op pool's too). */
  static long processCpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean)
            java.lang.management.ManagementFactory.getOperatingSystemMXBean())
        .getProcessCpuTime();
  }

  static double timeStep(TrainStep step, NDArray x, NDArray y, SplittableRandom rng) {
    long t0 = System.nanoTime();
    step.computeGradients(x, y, (int) x.getShape().get(0), rng);
    step.applyUpdate();
    return (System.nanoTime() - t0) / 1e9;
  }

  private static double maxAbsDiff(
      TrainableNet a, TrainableNet b, NDArray x, NDArray y, NDManager root, SplittableRandom rng) {
    try (GradModeOff off = new GradModeOff();
        NDManager scratch = root.newSubManager()) {
      float[] times = new float[(int) x.getShape().get(0)];
      for (int i = 0; i < times.length; i++) {
        times[i] = (float) rng.nextDouble();
      }
      NDArray t = scratch.create(times);
      Velocities va = a.predict(x, t, y);
      Velocities vb = b.predict(x, t, y);
      double fin = va.vFinal().sub(vb.vFinal()).abs().max().getFloat();
      double mid = va.vIntermediate().sub(vb.vIntermediate()).abs().max().getFloat();
      return Math.max(fin, mid);
    }
  }

  private static Map<String, HostTensor> perturbed(IgDiT model) {
    SplittableRandom rng = new SplittableRandom(3);
    Map<String, HostTensor> state = new LinkedHashMap<>(model.hostStateDict());
    for (String name : model.trainableNames()) {
      HostTensor h = state.get(name);
      float[] v = h.toFloats();
      for (int i = 0; i < v.length; i++) {
        v[i] += (float) (0.02 * rng.nextGaussian());
      }
      state.put(name, HostTensor.ofFloatsAs(DType.F32, h.shape(), v));
    }
    return state;
  }

  static NDArray gaussian(NDManager m, Shape shape, SplittableRandom rng) {
    float[] v = new float[Math.toIntExact(shape.size())];
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) rng.nextGaussian();
    }
    return m.create(v, shape);
  }
}
