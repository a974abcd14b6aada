package ai.igspark.cli;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.jni.LibUtils;
import ai.djl.util.cuda.CudaUtils;
import ai.igspark.config.RunConfig;
import ai.igspark.data.InvalidInputException;
import ai.igspark.data.LoopbackOnly;
import ai.igspark.data.config.TypedConfig;
import ai.igspark.device.ComputeDevice;
import ai.igspark.device.LibtorchDirectory;
import ai.igspark.model.ModelConfig;
import ai.igspark.model.Presets;
import ai.igspark.train.CudaSettings;
import ai.igspark.train.LossComponents;
import ai.igspark.train.ReplicaAgreement;
import ai.igspark.train.TrainingState;
import java.io.PrintWriter;
import java.lang.management.MemoryUsage;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code igspark gpu-check}: which libtorch DJL loaded and what it sees, a few training steps on
 * every device compared with the CPU, and one step's time per device by phase.
 */
@Command(
    name = "gpu-check",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Check this machine's libtorch and GPUs before training on them.",
      "1. Loads DJL's engine and prints the libtorch it found (version, flavor,",
      "   path), whether CUDA is available, the GPUs (compute capability, memory)",
      "   and the cuDNN/TF32 settings in force, applied as training applies the",
      "   run config's default gpu: section.",
      "2. Trains the sit-tiny preset for --steps AdamW steps (lr 1e-3) from the",
      "   same weights and batches on the CPU and on each visible GPU, and",
      "   compares each GPU with the CPU: the largest relative difference of the",
      "   step losses, and |w_gpu - w_cpu| / |w_cpu - w_0| over all weights (w_0",
      "   the initial ones). Default tolerance: 1e-2 with TF32 matmuls on, 1e-3",
      "   with them off. On the CPU, relative noise d injected into every loss",
      "   and gradient moves both measures by at most 2.4d over 10 steps: 1e-2",
      "   leaves 4x room over TF32's rounding (10 mantissa bits, d ~ 1e-3), 1e-3",
      "   about 40x over fp32 kernels that only sum in another order (d ~ 1e-5).",
      "3. Trains the same steps on G replicas at once (every GPU when there are",
      "   two or more, else two CPU replicas), one thread each, the batch split",
      "   and the gradients summed as training does, and compares them with one",
      "   replica on the whole batch (same measure and tolerance); the replicas",
      "   must end bitwise identical. Counts the device->host reads per step.",
      "4. Times one step of --preset (median of --timed-steps after --warmup",
      "   steps) on each device by phase: forward+backward, device->host and",
      "   host->device of the flat gradient, optimizer+EMA. The other phases of a",
      "   multi-GPU step (the local sum over a rank's GPUs, the ring all-reduce)",
      "   are measured by `igspark bench grad-sync`.",
      "Without a GPU only the CPU part runs, and the exit code says so (4)."
    },
    exitCodeListHeading = "Exit codes:%n",
    exitCodeList = {
      "0:every GPU agrees with the CPU",
      "1:a GPU disagrees with the CPU, or G replicas with one, beyond the tolerance (or a"
          + " result is not finite)",
      "2:bad input (an option, PYTORCH_LIBRARY_PATH)",
      "4:no GPU found: only the CPU part ran"
    })
final class GpuCheckCommand implements Callable<Integer> {
  static final int MISMATCH = 1;
  static final int NO_GPU = 4;
  static final String COMPARE_PRESET = "sit-tiny";
  static final int COMPARE_BATCH = 4;
  static final double TOLERANCE_TF32 = 1e-2;
  static final double TOLERANCE_FP32 = 1e-3;
  private static final Pattern CACHE_DIR =
      Pattern.compile("^\\d+\\.\\d+\\.\\d+(-\\d+)?-([a-z0-9]+)(-precxx11)?-(linux|osx|win)-.*");

  @Spec CommandSpec spec;

  @Option(names = "--steps", defaultValue = "3",
      description = "Training steps of the comparison (default ${DEFAULT-VALUE}).")
  int steps;

  @Option(names = "--tolerance",
      description = "Relative tolerance of the comparison (default 1e-2 with TF32 matmuls on,"
          + " 1e-3 off).")
  Double tolerance;

  @Option(names = "--preset", defaultValue = COMPARE_PRESET,
      description = "Model preset to time (default ${DEFAULT-VALUE}; see igspark model-info).")
  String preset;

  @Option(names = "--batch", defaultValue = "8",
      description = "Batch of the timed step (default ${DEFAULT-VALUE}).")
  int batch;

  @Option(names = "--warmup", defaultValue = "2",
      description = "Untimed steps before the timed ones (default ${DEFAULT-VALUE}).")
  int warmup;

  @Option(names = "--timed-steps", defaultValue = "3",
      description = "Timed steps; the median is printed (default ${DEFAULT-VALUE}).")
  int timedSteps;

  @Override
  public Integer call() {
    if (steps < 1 || batch < 1 || warmup < 0 || timedSteps < 1) {
      throw new InvalidInputException(
          "--steps, --batch and --timed-steps must be at least 1 and --warmup at least 0");
    }
    if (tolerance != null && !(tolerance > 0)) {
      throw new InvalidInputException("--tolerance must be positive, got " + tolerance);
    }
    ModelConfig timed = Presets.get(preset);
    PrintWriter out = spec.commandLine().getOut();
    LoopbackOnly.apply();

    // 1. The engine, the libtorch it loaded, the GPUs and the settings in force.
    LibtorchDirectory.Found lib = LibtorchDirectory.checkThisJvm().orElse(null);
    Engine engine = Engine.getInstance();
    int gpus = engine.getGpuCount();
    List<Device> devices = new ArrayList<>(List.of(Device.cpu()));
    for (int i = 0; i < gpus; i++) {
      devices.add(Device.gpu(i));
    }
    CudaSettings.InForce settings = CudaSettings.apply(RunConfig.Gpu.defaults(), devices);
    printEngine(out, engine, lib, gpus, settings);

    // 2. The comparison.
    double tol =
        tolerance != null ? tolerance : settings.tf32Matmul() ? TOLERANCE_TF32 : TOLERANCE_FP32;
    out.printf(Locale.ROOT,
        "comparison: %s, %d AdamW steps (lr 1e-3), batch %d, same weights and batches on"
            + " every device; tolerance %.1e (%s)%n",
        COMPARE_PRESET, steps, COMPARE_BATCH, tol,
        tolerance != null ? "--tolerance" : settings.tf32Matmul() ? "TF32 matmuls on"
            : "TF32 matmuls off");
    ModelConfig tiny = Presets.get(COMPARE_PRESET);
    Trained cpu = train(tiny, Device.cpu(), steps, COMPARE_BATCH);
    out.printf(Locale.ROOT, "  %-6s losses %s%n", "cpu", losses(cpu.losses()));
    out.flush();
    boolean agree = true;
    for (Device d : devices.subList(1, devices.size())) {
      Trained g = train(tiny, d, steps, COMPARE_BATCH);
      double loss = maxRelative(g.losses(), cpu.losses());
      double weights = weightDifference(g.weights(), cpu.weights(), cpu.initial());
      boolean ok = loss <= tol && weights <= tol;
      agree &= ok;
      out.printf(Locale.ROOT,
          "  %-6s losses %s; loss difference %.2e, weight difference %.2e: %s%n",
          ComputeDevice.name(d), losses(g.losses()), loss, weights,
          ok ? "ok" : "DIFFERS (tolerance " + String.format(Locale.ROOT, "%.1e", tol) + ")");
      out.flush();
    }

    // 3. G replicas equal one: every GPU at once when there are several, else two CPU replicas.
    List<Device> replicaDevices =
        gpus >= 2 ? devices.subList(1, devices.size()) : List.of(Device.cpu(), Device.cpu());
    ReplicaAgreement.Result g = ReplicaAgreement.run(tiny, recipe(steps, COMPARE_BATCH),
        devices.get(devices.size() - 1), replicaDevices, steps, COMPARE_BATCH);
    double replicaDiff = weightDifference(g.replicas().get(0), g.single(), g.initial());
    boolean replicasOk = replicaDiff <= tol && g.replicasIdentical();
    agree &= replicasOk;
    out.printf(Locale.ROOT,
        "replicas: %d on %s, one thread each, batch split, gradients summed: weight difference"
            + " %.2e from 1 replica on %s, replicas %s: %s%n",
        replicaDevices.size(),
        String.join(",", replicaDevices.stream().map(ComputeDevice::name).toList()), replicaDiff,
        ComputeDevice.name(devices.get(devices.size() - 1)),
        g.replicasIdentical() ? "bitwise identical" : "DIFFER from each other",
        replicasOk ? "ok" : "DIFFERS");
    out.printf(Locale.ROOT,
        "host syncs: %.1f device->host reads (%.0f bytes) per replicated step between log"
            + " intervals (target: 1, the gradient norm)%n", g.readsPerStep(), g.bytesPerStep());
    out.flush();

    // 4. One step's time by phase.
    out.printf("timing: %s, batch %d, median of %d steps after %d warm-up steps (ms)%n",
        preset, batch, timedSteps, warmup);
    out.printf("  %-6s %18s %14s %14s %15s %10s%n", "device", "forward+backward",
        "device->host", "host->device", "optimizer+EMA", "step");
    for (Device d : devices) {
      double[] ms = time(timed, d);
      out.printf(Locale.ROOT, "  %-6s %18.2f %14.2f %14.2f %15.2f %10.2f%n",
          ComputeDevice.name(d), ms[0], ms[1], ms[2], ms[3], ms[0] + ms[1] + ms[2] + ms[3]);
      out.flush();
    }
    out.println("  not timed here: the sum over a rank's GPU replicas and the ring all-reduce"
        + " (measured by `igspark bench grad-sync`)");

    if (gpus == 0 && !agree) {
      out.println("gpu-check FAILED: CPU replicas disagree with one replica (exit " + MISMATCH
          + ")");
      out.flush();
      return MISMATCH;
    }
    if (gpus == 0) {
      out.println("no GPU found: ran the CPU part only (exit " + NO_GPU + ")");
      out.flush();
      return NO_GPU;
    }
    out.println(agree
        ? "gpu-check ok: " + gpus + " GPU" + (gpus == 1 ? "" : "s") + " agree with the CPU,"
            + " and G replicas with one"
        : "gpu-check FAILED: a GPU disagrees with the CPU, or G replicas with one (exit "
            + MISMATCH + ")");
    out.flush();
    return agree ? 0 : MISMATCH;
  }

  private static void printEngine(PrintWriter out, Engine engine, LibtorchDirectory.Found lib,
      int gpus, CudaSettings.InForce settings) {
    String path = LibUtils.getLibtorchPath();
    out.printf("engine: %s %s, flavor %s, library %s%n", engine.getEngineName(),
        engine.getVersion(), flavor(path), path);
    String env = System.getenv("PYTORCH_LIBRARY_PATH");
    if (env == null || env.isEmpty()) {
      out.println("PYTORCH_LIBRARY_PATH: unset (DJL's own libtorch, from the native jar or its"
          + " cache)");
    } else {
      out.printf("PYTORCH_LIBRARY_PATH: %s (version %s from %s, %s)%n", env,
          lib.version() != null ? lib.version() : "unknown", lib.versionSource(),
          lib.cuda() ? "with libtorch_cuda.so" : "no libtorch_cuda.so: CPU-only");
    }
    boolean cudaBuild = engine.hasCapability("CUDA");
    if (!cudaBuild) {
      out.println("CUDA: not available (a CPU-only libtorch), 0 GPUs");
    } else if (gpus == 0) {
      out.println("CUDA: in this libtorch, but 0 GPUs visible (no driver, CUDA_VISIBLE_DEVICES="
          + System.getenv("CUDA_VISIBLE_DEVICES") + ", or no libcudart.so that DJL finds"
          + " through JNA; see cluster-config/README.md, \"Running on GPUs\")");
    } else {
      out.printf("CUDA: available, runtime %s, %d GPU%s%s%n", cudaVersion(), gpus,
          gpus == 1 ? "" : "s",
          System.getenv("CUDA_VISIBLE_DEVICES") != null
              ? " (CUDA_VISIBLE_DEVICES=" + System.getenv("CUDA_VISIBLE_DEVICES") + ")" : "");
      for (int i = 0; i < gpus; i++) {
        out.printf("  gpu:%d %s%n", i, gpuInfo(i));
      }
      out.println("  (DJL does not expose GPU names; nvidia-smi -L lists them in the same order"
          + " when CUDA_DEVICE_ORDER=PCI_BUS_ID)");
    }
    out.printf("settings on GPUs: %s (TORCH_ALLOW_TF32_CUBLAS_OVERRIDE=%s,"
            + " NVIDIA_TF32_OVERRIDE=%s)%n", settings.describe(),
        envOrUnset("TORCH_ALLOW_TF32_CUBLAS_OVERRIDE"), envOrUnset("NVIDIA_TF32_OVERRIDE"));
    out.flush();
  }

  private static String envOrUnset(String name) {
    String v = System.getenv(name);
    return v != null ? v : "unset";
  }

  private static String flavor(String path) {
    String env = System.getenv("PYTORCH_FLAVOR");
    if (env != null && !env.isEmpty()) {
      return env + " (PYTORCH_FLAVOR)";
    }
    Matcher m = CACHE_DIR.matcher(java.nio.file.Path.of(path).getFileName().toString());
    if (m.matches()) {
      return m.group(2);
    }
    return Engine.getInstance().hasCapability("CUDA") ? "cuda" : "cpu";
  }

  private static String cudaVersion() {
    try {
      int v = CudaUtils.getCudaVersion();
      return (v / 1000) + "." + (v / 10 % 100);
    } catch (RuntimeException e) {
      return "unknown";
    }
  }

  private static String gpuInfo(int i) {
    try {
      String cc = CudaUtils.getComputeCapability(i);
      MemoryUsage m = CudaUtils.getGpuMemory(Device.gpu(i));
      return String.format(Locale.ROOT, "compute capability %s.%s, %.1f GiB memory (%.1f GiB in"
              + " use)", cc.substring(0, cc.length() - 1), cc.substring(cc.length() - 1),
          m.getMax() / (double) (1L << 30), m.getUsed() / (double) (1L << 30));
    } catch (RuntimeException e) {
      return "(no details: " + e.getMessage() + ")";
    }
  }

  /** Losses per step, the initial weights and the final weights of one device's run. */
  record Trained(double[] losses, Map<String, float[]> initial, Map<String, float[]> weights) {}

  /** {@code n} steps from the preset's seed-0 weights on batches that depend only on the step. */
  static Trained train(ModelConfig config, Device device, int n, int batchSize) {
    RunConfig.Train recipe = recipe(n, batchSize);
    double[] losses = new double[n];
    try (TrainingState state = TrainingState.create(config, recipe, device, 0);
        NDManager manager = NDManager.newBaseManager(device)) {
      Map<String, float[]> initial = ReplicaAgreement.floats(state.model().hostStateDict());
      for (int s = 0; s < n; s++) {
        try (NDManager step = manager.newSubManager()) {
          NDArray[] xy = ReplicaAgreement.batch(config, step, batchSize, s, 0, batchSize);
          LossComponents c =
              state.step().computeGradients(xy[0], xy[1], batchSize, new SplittableRandom(s));
          losses[s] = c.loss();
          state.step().applyUpdate();
        }
      }
      return new Trained(losses, initial, ReplicaAgreement.floats(state.model().hostStateDict()));
    }
  }

  /**
   * AdamW at lr 1e-3 (a larger step than the SiT recipe's 1e-4, so a few steps move the weights
   * well beyond rounding), otherwise the SiT recipe.
   */
  private static RunConfig.Train recipe(int steps, int batchSize) {
    Map<String, Object> train = new LinkedHashMap<>();
    train.put("steps", steps);
    train.put("global_batch", batchSize);
    train.put("optimizer", Map.of("name", "adamw", "lr", 1e-3));
    return TypedConfig.convert(train, RunConfig.Train.class, "gpu-check");
  }

  /** max_i |a_i − b_i| / |b_i|; infinite when anything is not finite. */
  static double maxRelative(double[] a, double[] b) {
    double worst = 0;
    for (int i = 0; i < a.length; i++) {
      double d = Math.abs(a[i] - b[i]) / Math.max(Math.abs(b[i]), Double.MIN_NORMAL);
      worst = Double.isFinite(a[i]) && Double.isFinite(d) ? Math.max(worst, d)
          : Double.POSITIVE_INFINITY;
    }
    return worst;
  }

  /** |w − ref| / |ref − w0| over every weight (L2 norms); infinite when not finite. */
  static double weightDifference(
      Map<String, float[]> w, Map<String, float[]> ref, Map<String, float[]> w0) {
    double diff = 0;
    double moved = 0;
    for (Map.Entry<String, float[]> e : ref.entrySet()) {
      float[] a = w.get(e.getKey());
      float[] r = e.getValue();
      float[] o = w0.get(e.getKey());
      for (int i = 0; i < r.length; i++) {
        diff += ((double) a[i] - r[i]) * ((double) a[i] - r[i]);
        moved += ((double) r[i] - o[i]) * ((double) r[i] - o[i]);
      }
    }
    double ratio = Math.sqrt(diff) / Math.max(Math.sqrt(moved), Double.MIN_NORMAL);
    return Double.isFinite(ratio) ? ratio : Double.POSITIVE_INFINITY;
  }

  private static String losses(double[] l) {
    StringBuilder b = new StringBuilder();
    for (double v : l) {
      b.append(b.length() == 0 ? "" : " ").append(String.format(Locale.ROOT, "%.6f", v));
    }
    return b.toString();
  }

  /** Median ms of forward+backward, device→host, host→device, optimizer+EMA on {@code device}. */
  private double[] time(ModelConfig config, Device device) {
    RunConfig.Train recipe = recipe(warmup + timedSteps, batch);
    double[][] ms = new double[4][timedSteps];
    try (TrainingState state = TrainingState.create(config, recipe, device, 0);
        NDManager manager = NDManager.newBaseManager(device)) {
      int size = Math.toIntExact(state.step().gradientSize());
      FloatBuffer flat =
          ByteBuffer.allocateDirect(4 * size).order(ByteOrder.nativeOrder()).asFloatBuffer();
      NDArray probe = smallestEmaWeight(state);
      for (int s = 0; s < warmup + timedSteps; s++) {
        try (NDManager step = manager.newSubManager()) {
          NDArray[] xy = ReplicaAgreement.batch(config, step, batch, s, 0, batch);
          long t0 = System.nanoTime();
          // Reading the loss back waits for the backward pass.
          state.step().computeGradients(xy[0], xy[1], batch, new SplittableRandom(s));
          long t1 = System.nanoTime();
          flat.clear();
          state.step().gradientsTo(flat);
          long t2 = System.nanoTime();
          flat.flip();
          state.step().gradientsFrom(flat);
          long t3 = System.nanoTime();
          state.step().applyUpdate();
          probe.toFloatArray(); // waits for the optimizer and EMA kernels
          long t4 = System.nanoTime();
          int r = s - warmup;
          if (r >= 0) {
            ms[0][r] = (t1 - t0) / 1e6;
            ms[1][r] = (t2 - t1) / 1e6;
            ms[2][r] = (t3 - t2) / 1e6;
            ms[3][r] = (t4 - t3) / 1e6;
          }
        }
      }
    }
    double[] median = new double[4];
    for (int i = 0; i < 4; i++) {
      double[] sorted = ms[i].clone();
      Arrays.sort(sorted);
      median[i] = sorted[sorted.length / 2];
    }
    return median;
  }

  private static NDArray smallestEmaWeight(TrainingState state) {
    NDArray smallest = null;
    for (NDArray w : state.ema().weights().values()) {
      if (smallest == null || w.size() < smallest.size()) {
        smallest = w;
      }
    }
    return smallest;
  }
}
