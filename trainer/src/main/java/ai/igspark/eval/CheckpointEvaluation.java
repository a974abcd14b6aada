package ai.igspark.eval;

import ai.igspark.ckpt.RunDirectory;
import ai.igspark.diffusion.Guidance;
import ai.igspark.eval.fmnist.FmnistFeatures;
import ai.igspark.eval.fmnist.FmnistImages;
import ai.igspark.train.RunConfig;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.OutputStream;
import java.time.Instant;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaSparkContext;

/**
 * The driver's evaluation of a committed checkpoint (architecture.md §6): FD-FMNIST and the
 * classifier score of {@code eval.num_samples} EMA samples against the reference dataset, sampled
 * on the executors by {@link SampleEvaluationJob}; results go to {@code eval/step-N/} and become an
 * {@code eval} record of metrics.jsonl. It runs between segments on the same executors: their
 * JVMs are warm and a second Spark application would compete with training for the same slots.
 */
public final class CheckpointEvaluation {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final float IG_LOW = 0f;
  private static final float IG_HIGH = 1f;
  // The SiT recipe applies CFG on t ∈ [0, 0.7] (internal-guidance.md §3.3).
  private static final float CFG_LOW = 0f;
  private static final float CFG_HIGH = 0.7f;

  private final RunConfig.Eval eval;
  private final String modelJson;
  private FrechetDistance reference;
  private String extractorSha256;

  public CheckpointEvaluation(RunConfig.Eval eval, String modelJson) {
    this.eval = eval;
    this.modelJson = modelJson;
  }

  /** Whether the checkpoint committed at {@code step} is due for evaluation. */
  public boolean due(long step) {
    return eval.everySteps() > 0 && step % eval.everySteps() == 0;
  }

  /** Evaluates the EMA weights at {@code emaUri}; returns the metrics record it logged. */
  public ObjectNode evaluate(JavaSparkContext sc, RunDirectory dir, long step, String emaUri)
      throws IOException {
    long t0 = System.nanoTime();
    if (reference == null) {
      try (FmnistFeatures features = FmnistFeatures.ofDefault()) {
        FmnistImages real = FmnistImages.load(eval.reference(), sc.hadoopConfiguration());
        reference =
            FrechetDistance.against(
                features.summarize(real.pixels(), real.count()).features().gaussian());
        extractorSha256 = features.sha256();
      }
    }
    SampleEvaluationJob.Spec spec =
        new SampleEvaluationJob.Spec(
            modelJson,
            emaUri,
            eval.numSamples(),
            eval.balanced(),
            eval.seed(),
            eval.samplerName(),
            eval.samplingSteps(),
            eval.igScale().floatValue(),
            IG_LOW,
            IG_HIGH,
            eval.cfgScale().floatValue(),
            CFG_LOW,
            CFG_HIGH,
            100);
    SampleEvaluationJob.Result result = SampleEvaluationJob.run(sc, spec);
    double fd = reference.to(result.features().gaussian()).value();

    Path stepDir = dir.evalDir(step);
    ObjectNode r =
        record(
            step,
            new Guidance(spec.igScale(), IG_LOW, IG_HIGH, spec.cfgScale(), CFG_LOW, CFG_HIGH),
            fd,
            result.classifierScore().mean(),
            eval.numSamples(),
            eval.balanced(),
            eval.samplerName(),
            eval.samplingSteps(),
            extractorSha256,
            "eval/" + stepDir.getName() + "/grid.png");
    r.put("seconds", (System.nanoTime() - t0) / 1e9);
    writeGrid(sc, dir, stepDir, emaUri, spec);
    try (OutputStream out = dir.fs().create(new Path(stepDir, "metrics.json"), true)) {
      out.write(JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(JSON.createArrayNode()
          .add(r)));
    }
    return r;
  }

  /**
   * The {@code eval} record of metrics.jsonl for an FD-FMNIST measurement (docs/checkpoints.md
   * "Metrics records").
   */
  public static ObjectNode record(
      long step,
      Guidance guidance,
      double fdFmnist,
      double classifierScore,
      int samples,
      boolean balanced,
      String sampler,
      int samplingSteps,
      String extractorSha256,
      String grid) {
    ObjectNode r = JSON.createObjectNode();
    r.put("kind", "eval");
    r.put("step", step);
    r.put("metric", "fd_fmnist");
    r.put("value", fdFmnist);
    r.put("classifier_score", classifierScore);
    r.put("num_samples", samples);
    r.put("label_mode", balanced ? "balanced" : "random");
    r.put("sampler", sampler);
    r.put("steps", samplingSteps);
    r.put("ig_scale", guidance.igScale());
    r.putArray("ig_interval").add(guidance.igLow()).add(guidance.igHigh());
    r.put("cfg_scale", guidance.cfgScale());
    r.putArray("cfg_interval").add(guidance.cfgLow()).add(guidance.cfgHigh());
    r.put("extractor_sha256", extractorSha256);
    r.put("grid", grid);
    r.put("time", Instant.now().toString());
    return r;
  }

  /** 8 samples per class of the first 10 classes, one class per row, on the driver. */
  private static void writeGrid(
      JavaSparkContext sc, RunDirectory dir, Path stepDir, String emaUri,
      SampleEvaluationJob.Spec spec) throws IOException {
    SampleEvaluationJob.Spec gridSpec =
        new SampleEvaluationJob.Spec(
            spec.modelJson(), emaUri, 80, true, spec.seed(), spec.sampler(), spec.steps(),
            spec.igScale(), spec.igLow(), spec.igHigh(), spec.cfgScale(), spec.cfgLow(),
            spec.cfgHigh(), 80);
    float[] images = SampleEvaluationJob.sampleImages(gridSpec, sc.hadoopConfiguration());
    float[] rows = SampleGrid.classPerRow(images, 10, 8, 32 * 32);
    try (OutputStream out = dir.fs().create(new Path(stepDir, "grid.png"), true)) {
      SampleGrid.writePng(SampleGrid.grid(rows, 80, 1, 32, 32, 8), out);
    }
  }
}
