package ai.igspark.eval.job;

import ai.igspark.ckpt.RunDirectory;
import ai.igspark.config.RunConfig;
import ai.igspark.data.InvalidInputException;
import ai.igspark.data.config.TypedConfig;
import ai.igspark.data.format.Normalization;
import ai.igspark.device.ComputeDevice;
import ai.igspark.diffusion.Guidance;
import ai.igspark.eval.Evaluation;
import ai.igspark.eval.EvaluationSide;
import ai.igspark.eval.FrechetDistance;
import ai.igspark.eval.MetricsReport;
import ai.igspark.eval.ReferenceBatch;
import ai.igspark.eval.SampleGrid;
import ai.igspark.eval.SamplerSpec;
import ai.igspark.eval.TorchScriptInception;
import ai.igspark.eval.Uint8Convention;
import ai.igspark.eval.fmnist.FmnistFeatures;
import ai.igspark.eval.fmnist.FmnistImages;
import ai.igspark.metrics.EvalRecord;
import ai.igspark.metrics.EvalSetting;
import ai.igspark.metrics.MetricsJson;
import ai.igspark.model.ModelConfig;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.OutputStream;
import java.time.Instant;
import java.util.List;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaSparkContext;

/**
 * The driver's evaluation of a committed checkpoint (docs/ARCHITECTURE.md §6): {@code
 * eval.num_samples} EMA samples, sampled on the executors by {@link SampleEvaluationJob}, measured
 * against the reference: FD-FMNIST and the classifier score for pixel (Fashion-MNIST) models, or
 * FID, sFID and IS through {@code eval.vae_decoder} and {@code eval.inception} against an ADM
 * reference {@code .npz} for latent models. Results go to {@code eval/step-N/} and become an {@code
 * eval} record of metrics.jsonl. It runs between segments on the same executors: their JVMs are
 * warm and a second Spark application would compete with training for the same slots.
 */
public final class CheckpointEvaluation {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final RunConfig.Eval eval;
  private final String modelJson;
  private final Normalization normalization;
  private FrechetDistance reference;
  private FrechetDistance spatialReference;
  private EvaluationSide referenceSide;
  private LatentDecoding decoding;
  private String extractorSha256;

  /**
   * @param normalization the training dataset's latent normalisation, undone before decoding
   */
  public CheckpointEvaluation(RunConfig.Eval eval, String modelJson, Normalization normalization) {
    this.eval = eval;
    this.modelJson = modelJson;
    this.normalization = normalization;
  }

  public CheckpointEvaluation(RunConfig.Eval eval, String modelJson) {
    this(eval, modelJson, Normalization.identity());
  }

  /** Whether the checkpoint committed at {@code step} is due for evaluation. */
  public boolean due(long step) {
    return eval.everySteps() > 0 && step % eval.everySteps() == 0;
  }

  /** Evaluates the EMA weights at {@code emaUri}; returns the metrics record it logged. */
  public EvalRecord evaluate(JavaSparkContext sc, RunDirectory dir, long step, String emaUri)
      throws IOException {
    return eval.latent()
        ? evaluateLatent(sc, dir, step, emaUri)
        : evaluateFmnist(sc, dir, step, emaUri);
  }

  /**
   * The sampling job this evaluation runs on the EMA weights at {@code emaUri}: {@code eval:}'s
   * sampler spec, sample count and seed; {@code decoding} null for pixel models.
   */
  public SampleEvaluationJob.Spec spec(String emaUri, LatentDecoding decoding) {
    int blockSize = SampleEvaluationJob.defaultBlockSize(eval.numSamples(), decoding != null);
    return new SampleEvaluationJob.Spec(
        modelJson, emaUri, eval.numSamples(), eval.seed(), eval.samplerSpec(), blockSize,
        decoding,
        // The training executors' GPUs (the first Spark gave each task), else the CPU.
        ComputeDevice.TASK);
  }

  private EvalRecord evaluateFmnist(
      JavaSparkContext sc, RunDirectory dir, long step, String emaUri) throws IOException {
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
    SampleEvaluationJob.Spec spec = spec(emaUri, null);
    SampleEvaluationJob.Result result = SampleEvaluationJob.run(sc, spec);
    double fd = reference.to(result.pool().gaussian()).value();

    Path stepDir = dir.evalDir(step);
    EvalRecord r =
        record(
                step, spec.sampling(), fd, result.score().mean(), eval.numSamples(),
                extractorSha256, "eval/" + stepDir.getName() + "/grid.png")
            .withSeconds((System.nanoTime() - t0) / 1e9);
    writeGrid(sc, dir, stepDir, emaUri, spec);
    writeMetrics(dir, stepDir, r);
    return r;
  }

  /**
   * FID (and sFID, IS when the Inception provides them) of a latent model. The decoder and
   * Inception are checked once, on the first evaluation, from the paths in the run config only;
   * their SHA-256 goes to {@code eval/extractors.json} and into every record.
   */
  private EvalRecord evaluateLatent(
      JavaSparkContext sc, RunDirectory dir, long step, String emaUri) throws IOException {
    long t0 = System.nanoTime();
    if (decoding == null) {
      ModelConfig config =
          ModelConfig.fromTree(TypedConfig.mapper().readTree(modelJson), "eval: model");
      LatentDecoding d =
          LatentDecoding.check(
              java.nio.file.Path.of(eval.vaeDecoder()), java.nio.file.Path.of(eval.inception()),
              normalization, Uint8Convention.parse("eval.uint8", eval.uint8()),
              new int[] {config.inChannels(), config.inputSize(), config.inputSize()});
      try (TorchScriptInception inception =
          TorchScriptInception.load(java.nio.file.Path.of(eval.inception()))) {
        referenceSide = ReferenceBatch.load(java.nio.file.Path.of(eval.reference()), inception);
      }
      reference = FrechetDistance.against(referenceSide.pool());
      spatialReference =
          referenceSide.spatial() != null ? FrechetDistance.against(referenceSide.spatial()) : null;
      ObjectNode files = JSON.createObjectNode();
      files.putObject("vae_decoder").put("path", d.decoder()).put("sha256", d.decoderSha256());
      files.putObject("inception").put("path", d.inception()).put("sha256", d.inceptionSha256());
      files.putObject("reference").put("path", eval.reference());
      try (OutputStream out =
          dir.fs().create(new Path(new Path(dir.root(), "eval"), "extractors.json"), true)) {
        out.write(JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(files));
      }
      decoding = d;
    }
    SampleEvaluationJob.Spec spec = spec(emaUri, decoding);
    SampleEvaluationJob.Result result = SampleEvaluationJob.run(sc, spec);
    MetricsReport report =
        Evaluation.compare(
            referenceSide,
            result.sampleSide("samples of step " + step),
            reference,
            spatialReference,
            null);
    Path stepDir = dir.evalDir(step);
    String grid = null;
    if (result.preview() != null) {
      try (OutputStream out = dir.fs().create(new Path(stepDir, "grid.png"), true)) {
        SampleGrid.writePng(SampleGrid.grid(result.preview(), 4), out);
      }
      grid = "eval/" + stepDir.getName() + "/grid.png";
    }
    EvalRecord r =
        latentRecord(step, spec.sampling(), report, eval.numSamples(), decoding, grid)
            .withSeconds((System.nanoTime() - t0) / 1e9);
    writeMetrics(dir, stepDir, r);
    return r;
  }

  private static void writeMetrics(RunDirectory dir, Path stepDir, EvalRecord r)
      throws IOException {
    try (OutputStream out = dir.fs().create(new Path(stepDir, "metrics.json"), true)) {
      out.write(MetricsJson.prettyList(List.of(r)));
    }
  }

  /**
   * The {@code eval} record of metrics.jsonl for a latent model (docs/checkpoints.md "Metrics
   * records"): metric {@code fid}, plus {@code sfid} and {@code inception_score} when computed.
   */
  public static EvalRecord latentRecord(
      long step,
      SamplerSpec sampling,
      MetricsReport report,
      int samples,
      LatentDecoding decoding,
      String grid) {
    if (report.fid() == null) {
      throw new InvalidInputException(
          report.reference() + ": no pool statistics to compare the samples with (FID)");
    }
    return new EvalRecord(
        step,
        EvalRecord.FID,
        report.fid(),
        report.sfid(),
        report.inceptionScore(),
        null,
        report.precision(),
        report.recall(),
        setting(samples, sampling),
        decoding.inceptionSha256(),
        decoding.decoderSha256(),
        decoding.uint8().key(),
        report.reference(),
        report.warnings().isEmpty() ? null : List.copyOf(report.warnings()),
        grid,
        null,
        null,
        Instant.now().toString());
  }

  /** How the samples of an evaluation were drawn (the setting keys of its record). */
  private static EvalSetting setting(int samples, SamplerSpec sampling) {
    Guidance guidance = sampling.guidance();
    return new EvalSetting(
        samples,
        sampling.balanced() ? EvalSetting.BALANCED : EvalSetting.RANDOM,
        sampling.sampler().configName(),
        sampling.steps(),
        guidance.igScale(),
        List.of(guidance.igLow(), guidance.igHigh()),
        guidance.cfgScale(),
        List.of(guidance.cfgLow(), guidance.cfgHigh()));
  }

  /**
   * The {@code eval} record of metrics.jsonl for an FD-FMNIST measurement (docs/checkpoints.md
   * "Metrics records").
   */
  public static EvalRecord record(
      long step,
      SamplerSpec sampling,
      double fdFmnist,
      double classifierScore,
      int samples,
      String extractorSha256,
      String grid) {
    return new EvalRecord(
        step,
        EvalRecord.FD_FMNIST,
        fdFmnist,
        null,
        null,
        classifierScore,
        null,
        null,
        setting(samples, sampling),
        extractorSha256,
        null,
        null,
        null,
        null,
        grid,
        null,
        null,
        Instant.now().toString());
  }

  /** 8 samples per class of the first 10 classes, one class per row, on the driver. */
  private static void writeGrid(
      JavaSparkContext sc, RunDirectory dir, Path stepDir, String emaUri,
      SampleEvaluationJob.Spec spec) throws IOException {
    float[] images = FixedGrid.balancedSamples(
        spec.modelJson(), emaUri, 80, spec.seed(), spec.sampling(), sc.hadoopConfiguration());
    float[] rows = SampleGrid.classPerRow(images, 10, 8, 32 * 32);
    try (OutputStream out = dir.fs().create(new Path(stepDir, "grid.png"), true)) {
      SampleGrid.writePng(SampleGrid.grid(rows, 80, 1, 32, 32, 8), out);
    }
  }
}
