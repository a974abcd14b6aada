package ai.igspark.bench;

import ai.djl.ndarray.NDManager;
import ai.igspark.diffusion.Guidance;
import ai.igspark.diffusion.Sampler;
import ai.igspark.diffusion.SamplingPlan;
import ai.igspark.eval.CheckpointSampler;
import ai.igspark.model.IgDiT;
import ai.igspark.model.ModelConfig;
import ai.igspark.model.Presets;
import ai.igspark.tensorfile.HostTensor;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code igspark bench sampling}: the cost of a guided sample relative to an unguided one at the
 * same number of steps (docs/benchmarks/sampling.md). IG reuses the intermediate head of the same
 * forward pass, so it should cost almost nothing (target ≤ 1.05×); CFG doubles the batch
 * (≈ 2×).
 */
public final class SamplingBenchmark {
  /** Unguided, IG, CFG and IG+CFG with both intervals covering every step. */
  static final Map<String, Guidance> VARIANTS = new LinkedHashMap<>();

  static {
    VARIANTS.put("unguided", Guidance.none());
    VARIANTS.put("ig", Guidance.ig(1.4f, 0f, 1f));
    VARIANTS.put("cfg", Guidance.none().withCfg(1.5f, 0f, 1f));
    VARIANTS.put("ig+cfg", Guidance.ig(1.4f, 0f, 1f).withCfg(1.5f, 0f, 1f));
  }

  public record Settings(
      String preset, Sampler sampler, int steps, int samples, int threads, int warmup, int reps) {}

  /** Timings are of one batch of {@code samples} samples. */
  public record Result(String preset, Settings settings, List<Timings> timings) {

    public Timings timing(String variant) {
      return timings.stream().filter(t -> t.variant().equals(variant)).findFirst().orElseThrow();
    }

    /** Median time of {@code variant} ÷ median unguided time. */
    public double relative(String variant) {
      return timing(variant).median() / timing("unguided").median();
    }

    /** As {@link #relative} in process CPU time. */
    public double relativeCpu(String variant) {
      return timing(variant).medianCpu() / timing("unguided").medianCpu();
    }

    public String summary() {
      Settings s = settings;
      StringBuilder b = new StringBuilder(String.format(
          "%s, %s, %d steps, %d samples per batch, %d thread(s)%n%n", preset, s.sampler()
              .configName(), s.steps(), s.samples(), s.threads()));
      b.append("| guidance | wall min s | wall median s | all wall ms | wall ms per sample"
          + " (median) | CPU median s | wall median ÷ unguided | CPU median ÷ unguided |\n"
          + "|---|---|---|---|---|---|---|---|\n");
      for (Timings t : timings) {
        b.append(String.format("| %s | %.3f | %.3f | %s | %.1f | %.3f | %.3f | %.3f |%n",
            t.variant(), t.min(), t.median(), t.allMillis(), 1e3 * t.median() / s.samples(),
            t.medianCpu(), relative(t.variant()), relativeCpu(t.variant())));
      }
      return b.toString();
    }
  }

  private SamplingBenchmark() {}

  public static Result run(Settings s) {
    ModelConfig cfg = Presets.get(s.preset());
    Map<String, HostTensor> weights;
    try (NDManager m = NDManager.newBaseManager()) {
      // The cost does not depend on the values: the seeded official initialisation will do.
      weights = IgDiT.create(cfg, m, 0).hostStateDict();
    }
    long[] labels = new long[s.samples()];
    for (int i = 0; i < labels.length; i++) {
      labels[i] = i % cfg.numClasses();
    }
    StepBenchmark.intraOpThreads(s.threads());
    Map<String, double[]> seconds = new LinkedHashMap<>();
    Map<String, double[]> cpu = new LinkedHashMap<>();
    VARIANTS.keySet().forEach(v -> seconds.put(v, new double[s.reps()]));
    VARIANTS.keySet().forEach(v -> cpu.put(v, new double[s.reps()]));
    try (CheckpointSampler sampler = new CheckpointSampler(cfg, weights, s.preset())) {
      for (int r = -s.warmup(); r < s.reps(); r++) {
        List<String> order = new ArrayList<>(VARIANTS.keySet());
        if (r % 2 != 0) {
          java.util.Collections.reverse(order); // drift in machine load hits all variants alike
        }
        for (String v : order) {
          SamplingPlan plan = new SamplingPlan(s.sampler(), s.steps(), 1.0, VARIANTS.get(v));
          long t0 = System.nanoTime();
          long c0 = StepBenchmark.processCpuNanos();
          sampler.sample(plan, 0, 0, labels, null, s.samples(), null);
          if (r >= 0) {
            seconds.get(v)[r] = (System.nanoTime() - t0) / 1e9;
            cpu.get(v)[r] = (StepBenchmark.processCpuNanos() - c0) / 1e9;
          }
        }
      }
    }
    List<Timings> timings = new ArrayList<>();
    seconds.forEach((v, sec) -> timings.add(new Timings(v, s.threads(), sec, cpu.get(v))));
    return new Result(s.preset(), s, timings);
  }
}
