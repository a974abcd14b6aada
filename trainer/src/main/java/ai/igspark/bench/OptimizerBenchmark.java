package ai.igspark.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import ai.igspark.model.ModelConfig;
import ai.igspark.model.ParameterShapes;
import ai.igspark.optim.AdamW;
import ai.igspark.optim.Ema;
import ai.igspark.optim.GradientNorm;
import ai.igspark.optim.ParamOptimizer;
import ai.igspark.optim.PerParameterAdamW;
import ai.igspark.optim.Scalars;
import ai.igspark.tensor.DeviceTransfer;
import ai.igspark.tensor.FlatLayout;
import ai.igspark.tensor.FlatParameters;
import ai.igspark.tensor.GradScope;
import ai.igspark.tensor.GradModeOff;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The optimizer part of a training step (global-norm clip + AdamW + EMA) at a model's real
 * parameter shapes (synthetic values) on CPU, the flat code against the per-parameter code it
 * replaced, one after the other in one JVM on the same parameters and gradients. Per variant:
 * wall and CPU time per step, host reads per step (instrumented in {@link DeviceTransfer}) and
 * native operations per step (libtorch's profiler: top-level operators of one step).
 */
public final class OptimizerBenchmark {
  private OptimizerBenchmark() {}

  /** The flat group sizes measured by default: the trainer's on a GPU and on a CPU. */
  public static final List<Long> DEFAULT_GROUP_FLOATS =
      List.of(FlatLayout.GPU_GROUP_FLOATS, FlatLayout.CPU_GROUP_FLOATS);

  /**
   * One measured variant.
   *
   * @param parameters tensors updated
   * @param floats floats per state buffer
   * @param hostReads device→host reads per step
   * @param hostReadBytes their bytes per step
   * @param nativeOps top-level libtorch operators per step
   * @param kernelOps those of them that compute (not {@link #VIEW_OPERATORS}): kernels on a GPU
   */
  public record Result(String variant, int parameters, long floats, Timings timings,
      long hostReads, long hostReadBytes, long nativeOps, long kernelOps) {}

  /** A variant: one optimizer step (clip, AdamW, EMA) over the given parameters. */
  private interface Variant {
    void step(Map<String, NDArray> params, Map<String, NDArray> grads, float lr);
  }

  /**
   * Runs the per-parameter variant (if {@code perParameter}), then the flat one at each group size of {@code groupFloats},
   * on the leading parameters of {@code model} up to {@code maxFloats} floats (all of them when it
   * is at least the model's size).
   */
  public static List<Result> run(
      ModelConfig model, long maxFloats, int steps, List<Long> groupFloats, boolean perParameter,
      Path scratch)
      throws IOException {
    for (long g : groupFloats) {
      if (g < 1) {
        throw new ai.igspark.data.InvalidInputException(
            "--group-floats: " + g + " is not a group size; expected at least 1 float");
      }
    }
    List<Result> results = new ArrayList<>();
    try (NDManager manager = NDManager.newBaseManager();
        GradModeOff off = new GradModeOff()) {
      Map<String, NDArray> params = new LinkedHashMap<>();
      Map<String, NDArray> grads = new LinkedHashMap<>();
      long floats = 0;
      for (Map.Entry<String, long[]> e : ParameterShapes.of(model).entrySet()) {
        Shape shape = new Shape(e.getValue());
        if (floats + shape.size() > maxFloats && !params.isEmpty()) {
          break;
        }
        floats += shape.size();
        params.put(e.getKey(), manager.randomNormal(0f, 0.02f, shape, DataType.FLOAT32));
        // std 1e-3: the global norm is well above 1 at these sizes, so clipping is active.
        grads.put(e.getKey(), manager.randomNormal(0f, 1e-3f, shape, DataType.FLOAT32));
      }
      if (perParameter) {
        try (NDManager state = manager.newSubManager()) {
          Variant v = perParameter(state, params);
          results.add(measure("per-parameter", v, params, grads, floats, steps, scratch));
        }
      }
      for (long group : groupFloats) {
        String size = group % (1 << 20) == 0 ? group / (1 << 20) + "Mi" : String.valueOf(group);
        try (NDManager state = manager.newSubManager()) {
          Variant v = flat(state, params, group);
          results.add(measure("flat " + size, v, params, grads, floats, steps, scratch));
        }
        try (NDManager state = manager.newSubManager()) {
          Variant v = flatParameters(state, params, grads, group);
          results.add(measure("flat params " + size, v, params, grads, floats, steps, scratch));
        }
      }
    }
    return results;
  }

  /** Today's flat path: device-side norm read as one scalar, clip + AdamW + EMA over groups. */
  private static Variant flat(NDManager state, Map<String, NDArray> params, long groupFloats) {
    ParamOptimizer adamW = new AdamW(state, AdamW.Config.sit(), groupFloats);
    Ema ema = new Ema(state, params, Ema.DEFAULT_DECAY, groupFloats);
    return (p, g, lr) -> {
      double norm = GradientNorm.of(g.values());
      adamW.step(p, g, lr, GradientNorm.clipScale(1.0, norm));
      ema.update(p);
    };
  }

  /**
   * The trainer's path: the parameters stored flat as the model stores them ({@link
   * FlatParameters}, a copy of {@code params}) with {@code grads} as their gradients, left by one
   * backward; clip + AdamW + EMA work on whole groups, with no gather.
   */
  private static Variant flatParameters(NDManager state, Map<String, NDArray> params,
      Map<String, NDArray> grads, long groupFloats) {
    FlatParameters flat = new FlatParameters(state, FlatLayout.of(params, groupFloats));
    params.forEach((name, p) -> flat.write(name, java.nio.FloatBuffer.wrap(
        DeviceTransfer.download(p))));
    try (NDScope scope = new NDScope();
        GradScope grad = new GradScope()) {
      NDArray loss = null; // Σ ⟨view, G⟩: its gradient with respect to each view is G exactly
      for (Map.Entry<String, NDArray> e : flat.forwardViews().entrySet()) {
        NDArray term = e.getValue().mul(grads.get(e.getKey())).sum();
        loss = loss == null ? term : loss.add(term);
      }
      grad.backward(loss);
    }
    ParamOptimizer adamW = new AdamW(state, AdamW.Config.sit(), groupFloats);
    Ema ema = new Ema(state, Map.of(), flat, Ema.DEFAULT_DECAY);
    return (p, g, lr) -> {
      double norm;
      try (NDScope scope = new NDScope()) {
        norm = GradientNorm.of(flat.gradientViews().values());
      }
      adamW.step(flat, lr, GradientNorm.clipScale(1.0, norm));
      ema.update(flat.views());
    };
  }

  /**
   * The replaced per-parameter path: the per-tensor norms read to the host and summed there,
   * clipping, AdamW and the EMA parameter by parameter.
   */
  private static Variant perParameter(NDManager state, Map<String, NDArray> params) {
    ParamOptimizer adamW = new PerParameterAdamW(state, AdamW.Config.sit());
    Map<String, NDArray> ema = new LinkedHashMap<>();
    params.forEach((name, p) -> ema.put(name, p.duplicate()));
    return (p, g, lr) -> {
      double sumSq = 0;
      try (NDScope scope = new NDScope()) {
        NDList norms = new NDList();
        g.values().forEach(x -> norms.add(x.norm()));
        for (float n : DeviceTransfer.download(NDArrays.stack(norms))) {
          sumSq += (double) n * n;
        }
      }
      GradientNorm.scale(g.values(), GradientNorm.clipScale(1.0, Math.sqrt(sumSq)));
      adamW.step(p, g, lr);
      try (NDScope scope = new NDScope()) {
        Scalars s = new Scalars();
        ema.forEach((name, e) -> {
          NDArray x = p.get(name);
          e.muli(s.of(x, Ema.DEFAULT_DECAY)).addi(x.mul(s.of(x, 1f - Ema.DEFAULT_DECAY)));
        });
      }
    };
  }

  private static Result measure(String name, Variant v, Map<String, NDArray> params,
      Map<String, NDArray> grads, long floats, int steps, Path scratch) throws IOException {
    float lr = 1e-4f;
    v.step(params, grads, lr); // warm-up: allocates the state
    double[] wall = new double[steps];
    double[] cpu = new double[steps];
    for (int i = 0; i < steps; i++) {
      long c0 = StepBenchmark.processCpuNanos();
      long t0 = System.nanoTime();
      v.step(params, grads, lr);
      wall[i] = (System.nanoTime() - t0) / 1e9;
      cpu[i] = (StepBenchmark.processCpuNanos() - c0) / 1e9;
    }
    DeviceTransfer.Counts before = DeviceTransfer.counts();
    v.step(params, grads, lr);
    DeviceTransfer.Counts reads = DeviceTransfer.counts().minus(before);
    Path trace = scratch.resolve("optimizer-" + name.replace(' ', '-') + ".json");
    JniUtils.startProfile(false, false, false);
    v.step(params, grads, lr);
    JniUtils.stopProfile(trace.toString());
    List<String> ops = topLevelOperators(trace);
    Files.deleteIfExists(trace);
    long kernels = ops.stream().filter(op -> !VIEW_OPERATORS.contains(op)).count();
    if (Boolean.getBoolean("igspark.bench.operators")) { // which operators, to check the split
      Map<String, Long> byName = new java.util.TreeMap<>();
      ops.forEach(op -> byName.merge(op, 1L, Long::sum));
      System.err.println(name + ": " + byName);
    }
    return new Result(name, params.size(), floats, new Timings(name, 0, wall, cpu),
        reads.downloads(), reads.downloadedBytes(), ops.size(), kernels);
  }

  /**
   * Operators that only make a new view of existing storage (no kernel runs on any device; on
   * a contiguous tensor, as every one here is, {@code reshape} is a view too).
   */
  static final java.util.Set<String> VIEW_OPERATORS = java.util.Set.of("aten::view",
      "aten::reshape", "aten::_reshape_alias", "aten::split", "aten::split_with_sizes",
      "aten::narrow", "aten::slice", "aten::select", "aten::as_strided", "aten::t",
      "aten::transpose", "aten::permute", "aten::expand", "aten::detach", "aten::alias",
      "aten::squeeze", "aten::unsqueeze", "aten::flatten");

  /** Names of the operators of a Chrome trace not nested in another of the same thread. */
  static List<String> topLevelOperators(Path trace) throws IOException {
    JsonNode root = new ObjectMapper().readTree(trace.toFile());
    JsonNode events = root.isArray() ? root : root.path("traceEvents");
    Map<String, List<JsonNode>> byThread = new LinkedHashMap<>();
    for (JsonNode e : events) {
      if ("X".equals(e.path("ph").asText()) && e.has("dur")) {
        byThread.computeIfAbsent(e.path("tid").asText(), k -> new ArrayList<>()).add(e);
      }
    }
    List<String> top = new ArrayList<>();
    for (List<JsonNode> spans : byThread.values()) {
      spans.sort((a, b) -> a.path("ts").asDouble() != b.path("ts").asDouble()
          ? Double.compare(a.path("ts").asDouble(), b.path("ts").asDouble())
          : Double.compare(b.path("dur").asDouble(), a.path("dur").asDouble()));
      double end = Double.NEGATIVE_INFINITY;
      for (JsonNode span : spans) {
        double ts = span.path("ts").asDouble();
        if (ts >= end) {
          top.add(span.path("name").asText());
          end = ts + span.path("dur").asDouble();
        }
      }
    }
    return top;
  }
}
