package ai.igspark.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.igspark.ckpt.RunDirectory;
import ai.igspark.collective.RingBenchmark;
import ai.igspark.collective.RingOptions;
import ai.igspark.config.RunConfig;
import ai.igspark.data.format.DatasetKind;
import ai.igspark.data.format.DatasetWriter;
import ai.igspark.data.format.Normalization;
import ai.igspark.metrics.MetricsJson;
import ai.igspark.metrics.SegmentRecord;
import ai.igspark.model.IgDiT;
import ai.igspark.model.IgDiTNet;
import ai.igspark.model.ModelConfig;
import ai.igspark.model.Presets;
import ai.igspark.tensorfile.DType;
import ai.igspark.train.TrainDriver;
import ai.igspark.train.TrainStep;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.api.java.JavaSparkContext;

/**
 * {@code igspark bench segment} (docs/benchmarks/segment.md): what a segment boundary costs.
 *
 * <ul>
 *   <li>Segment start: a tiny run in Spark local mode, several consecutive segments in this
 *       driver (the executor's warm cache serves every segment after the first), then fresh
 *       driver JVMs resuming from the last checkpoint (cold: state read from the checkpoint). The
 *       figures are the {@code start_seconds} of the driver's {@code segment} records.
 *   <li>The collective's share of a step: one ring all-reduce of a SiT-B/2-sized gradient at W=2
 *       against one SiT-B/2 training step on this CPU.
 * </ul>
 */
public final class SegmentBenchmark {
  private SegmentBenchmark() {}

  /**
   * @param coldRuns fresh driver JVMs resuming one after another, one segment each
   */
  public record SegmentSettings(
      String preset, int globalBatch, long segmentSteps, int segments, int coldRuns, Path workDir)
  {}

  /** One {@code segment} record of metrics.jsonl. */
  public record SegmentStart(long segment, long step, boolean warmCache, double startSeconds,
      boolean freshDriver) {}

  public record SegmentResult(SegmentSettings settings, List<SegmentStart> starts) {

    /** Segments started from the warm cache. */
    public List<SegmentStart> warm() {
      return starts.stream().filter(SegmentStart::warmCache).toList();
    }

    /** Segments of a fresh driver JVM resuming from a checkpoint. */
    public List<SegmentStart> coldResumes() {
      return starts.stream().filter(s -> !s.warmCache() && s.freshDriver()).toList();
    }

    public String summary() {
      StringBuilder b = new StringBuilder(String.format(
          "segment starts: %s, global batch %d, %d steps per segment%n%n",
          settings.preset(), settings.globalBatch(), settings.segmentSteps()));
      b.append("| segment | step | driver | warm_cache | start_seconds |\n|---|---|---|---|---|\n");
      for (SegmentStart s : starts) {
        b.append(String.format("| %d | %d | %s | %s | %.3f |%n", s.segment(), s.step(),
            s.freshDriver() ? "fresh JVM (resume)" : "first driver", s.warmCache(),
            s.startSeconds()));
      }
      b.append(String.format("%nwarm: %s%ncold resume: %s%n", stats(warm()), stats(coldResumes())));
      return b.toString();
    }

    private static String stats(List<SegmentStart> list) {
      if (list.isEmpty()) {
        return "none";
      }
      double[] v = list.stream().mapToDouble(SegmentStart::startSeconds).toArray();
      Timings t = new Timings("", 0, v);
      return String.format("n=%d, min %.3f s, median %.3f s", v.length, t.min(), t.median());
    }
  }

  public static SegmentResult segmentStarts(SegmentSettings s) throws Exception {
    ModelConfig model = Presets.get(s.preset());
    Path dir = s.workDir().toAbsolutePath();
    Files.createDirectories(dir);
    String manifest = dataset(dir.resolve("data"), model, 4 * s.globalBatch());
    String runDir = dir.resolve("run").toString();
    long firstSteps = s.segments() * s.segmentSteps();
    Path first = config(dir, s, manifest, runDir, firstSteps);
    RunConfig cfg = RunConfig.load(first);
    // Warm: one driver, consecutive segments; Spark local mode, executor = this JVM.
    try (JavaSparkContext sc = TrainDriver.startSpark(cfg, null);
        PrintStream quiet = new PrintStream(PrintStream.nullOutputStream())) {
      new TrainDriver(cfg, first.toString(), List.of(), quiet).run(sc, false);
    }
    // Cold: a fresh JVM per resume, so no warm cache can exist (it lives in the executor JVM).
    for (int i = 1; i <= s.coldRuns(); i++) {
      Path next = config(dir, s, manifest, runDir, firstSteps + i * s.segmentSteps());
      freshDriver(next, dir.resolve("resume-" + i + ".log"));
    }
    List<SegmentStart> starts = new ArrayList<>();
    for (JsonNode n : RunDirectory.open(runDir, new Configuration()).readMetrics()) {
      if (MetricsJson.fromTree(n) instanceof SegmentRecord r) {
        starts.add(new SegmentStart(r.segment(), r.step(), r.warmCache(), r.startSeconds(),
            r.step() > firstSteps));
      }
    }
    return new SegmentResult(s, starts);
  }

  private static void freshDriver(Path config, Path log) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>();
    cmd.add(ProcessHandle.current().info().command().orElse("java"));
    for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
      if (!a.startsWith("-agentlib") && !a.startsWith("-javaagent")) {
        cmd.add(a); // module opens and offline flags, as this JVM got them
      }
    }
    cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), "ai.igspark.cli.Igspark",
        "train", "--config", config.toString(), "--resume", "--allow-change", "train.steps"));
    ProcessBuilder pb =
        new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
    pb.environment().putIfAbsent("SPARK_LOCAL_IP", "127.0.0.1");
    pb.environment().put("OPT_OUT_TRACKING", "true");
    int rc = pb.start().waitFor();
    if (rc != 0) {
      throw new IllegalStateException("resuming driver exited with " + rc + "; see " + log + ":\n"
          + Files.readString(log, StandardCharsets.UTF_8));
    }
  }

  private static Path config(Path dir, SegmentSettings s, String manifest, String runDir,
      long steps) throws IOException {
    String yaml =
        """
        run: {dir: "%s", name: segment-bench, seed: 1}
        data: {manifest: "%s"}
        model: {preset: %s}
        train:
          global_batch: %d
          steps: %d
          log_every: 1
        cluster: {world_size: 1, segment_steps: %d, max_retries: 0, backoff_seconds: 0}
        checkpoint: {every_steps: %d, keep: 2}
        """
            .formatted(runDir, manifest, s.preset(), s.globalBatch(), steps, s.segmentSteps(),
                s.segmentSteps());
    Path file = dir.resolve("run-" + steps + ".yaml");
    Files.writeString(file, yaml);
    return file;
  }

  /** Gaussian latents of the model's shape with random labels: a start does not read values. */
  private static String dataset(Path dir, ModelConfig m, int samples) {
    int c = m.inChannels();
    int h = m.inputSize();
    DatasetWriter w =
        DatasetWriter.to(dir.toString())
            .latentShape(c, h, h)
            .storedDType(DType.F32)
            .numClasses(m.numClasses())
            .kind(DatasetKind.LATENTS)
            .withFlips(false)
            .normalization(Normalization.identity())
            .vae("none")
            .source("igspark bench segment")
            .samplesPerShard(samples)
            .build();
    SplittableRandom rng = new SplittableRandom(5);
    for (int i = 0; i < samples; i++) {
      float[] x = new float[c * h * h];
      for (int p = 0; p < x.length; p++) {
        x[p] = (float) rng.nextGaussian();
      }
      w.add(x, null, i % m.numClasses());
    }
    w.commit();
    return dir.resolve("dataset.json").toString();
  }

  /**
   * @param floats gradient size (SiT-B/2: 131.7M)
   */
  public record CollectiveSettings(
      long floats, int world, int iterations, String stepPreset, int stepBatch, int stepThreads,
      int stepReps) {}

  /**
   * @param step one training step of {@code stepPreset} at {@code stepBatch} samples
   * @param doubleStep the same at {@code 2·stepBatch} samples: with {@code step} it gives the
   *     fixed cost (clip, AdamW, draws) and the cost per sample, for extrapolating to real batches
   */
  public record CollectiveResult(CollectiveSettings settings, RingBenchmark.Result ring,
      Timings step, Timings doubleStep, long stepParameters) {

    /** Median all-reduce ÷ (median step + median all-reduce): the share without overlap. */
    public double share() {
      return ring.medianSeconds() / (ring.medianSeconds() + step.median());
    }

    /** Seconds per additional sample, from the two batch sizes. */
    public double perSample() {
      return (doubleStep.median() - step.median()) / settings.stepBatch();
    }

    /** The step time at {@code batch} samples on the line through the two measurements. */
    public double stepAt(int batch) {
      return step.median() + (batch - settings.stepBatch()) * perSample();
    }

    public String summary() {
      CollectiveSettings s = settings;
      StringBuilder b = new StringBuilder();
      b.append(String.format("all-reduce W=%d of %,d floats (%.1f MB): best %.3f s, median %.3f s"
              + " (%d calls); CPU per call per rank %.3f s%n", s.world(), s.floats(),
          4e-6 * s.floats(), ring.bestSeconds(), ring.medianSeconds(), s.iterations(),
          ring.cpuSecondsPerCall()));
      for (Timings t : List.of(step, doubleStep)) {
        int batch = t == step ? s.stepBatch() : 2 * s.stepBatch();
        b.append(String.format("%s step (%,d parameters), batch %d, %d thread(s): min %.3f s,"
                + " median %.3f s (%s ms); CPU median %.3f s; all-reduce share %.1f%%%n",
            s.stepPreset(), stepParameters, batch, s.stepThreads(), t.min(), t.median(),
            t.allMillis(), t.medianCpu(),
            100 * ring.medianSeconds() / (ring.medianSeconds() + t.median())));
      }
      b.append(String.format("linear fit: step ≈ %.2f s + %.3f s per sample%n",
          stepAt(0), perSample()));
      for (int perRank : new int[] {8, 32, 128}) {
        double at = stepAt(perRank);
        b.append(String.format("  extrapolated to %d samples per rank: step ≈ %.1f s, share ≈ "
            + "%.1f%%%n", perRank, at, 100 * ring.medianSeconds() / (ring.medianSeconds() + at)));
      }
      return b.toString();
    }
  }

  public static CollectiveResult collectiveShare(CollectiveSettings s) throws Exception {
    RingBenchmark.Result ring =
        RingBenchmark.run(s.world(), Math.toIntExact(s.floats()), s.iterations(),
            RingOptions.defaults());
    ModelConfig cfg = Presets.get(s.stepPreset());
    StepBenchmark.intraOpThreads(s.stepThreads());
    try (NDManager root = NDManager.newBaseManager()) {
      IgDiTNet net = new IgDiTNet(IgDiT.create(cfg, root, 0));
      TrainStep step = StepBenchmark.trainStep(net, cfg, root);
      return new CollectiveResult(s, ring, timeSteps(step, cfg, s, s.stepBatch(), root),
          timeSteps(step, cfg, s, 2 * s.stepBatch(), root), step.gradientSize());
    }
  }

  private static Timings timeSteps(
      TrainStep step, ModelConfig cfg, CollectiveSettings s, int batch, NDManager root) {
    SplittableRandom rng = new SplittableRandom(4);
    try (NDManager m = root.newSubManager()) {
      NDArray x = StepBenchmark.gaussian(m,
          new Shape(batch, cfg.inChannels(), cfg.inputSize(), cfg.inputSize()), rng);
      NDArray y = m.create(new long[batch]);
      StepBenchmark.timeStep(step, x, y, rng); // warm-up
      double[] sec = new double[s.stepReps()];
      double[] cpu = new double[s.stepReps()];
      for (int i = 0; i < sec.length; i++) {
        long c0 = StepBenchmark.processCpuNanos();
        sec[i] = StepBenchmark.timeStep(step, x, y, rng);
        cpu[i] = (StepBenchmark.processCpuNanos() - c0) / 1e9;
      }
      return new Timings(s.stepPreset() + " batch " + batch, s.stepThreads(), sec, cpu);
    }
  }
}
