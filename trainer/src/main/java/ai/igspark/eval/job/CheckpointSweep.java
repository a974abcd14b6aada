package ai.igspark.eval.job;

import ai.djl.Device;
import ai.igspark.eval.Evaluation;
import ai.igspark.eval.EvaluationSide;
import ai.igspark.eval.FrechetDistance;
import ai.igspark.eval.MetricsReport;
import ai.igspark.eval.ReferenceBatch;
import ai.igspark.eval.SamplerSpec;
import ai.igspark.eval.TorchScriptInception;
import ai.igspark.eval.fmnist.FmnistFeatures;
import ai.igspark.eval.fmnist.FmnistImages;
import ai.igspark.metrics.EvalRecord;
import ai.igspark.model.ModelCheckpoints;
import ai.igspark.model.ModelConfig;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.spark.api.java.JavaSparkContext;

/**
 * The measuring side of {@code igspark evaluate --checkpoint}: one weights file, one reference,
 * and any number of sampler settings (a {@link SamplerSweep}) measured one Spark job each ({@link
 * SampleEvaluationJob}) against the reference's statistics, computed once. Pixel-space
 * Fashion-MNIST models are measured with FD-FMNIST and the classifier score, latent models through
 * a VAE decoder and an Inception with FID, sFID and IS.
 */
public final class CheckpointSweep {
  private static final ObjectMapper JSON = new ObjectMapper();

  /**
   * What to measure.
   *
   * @param weights the weights file (.pt or .safetensors), verified if in a checkpoint
   * @param numSamples samples per setting
   * @param seed keys every sample's noise and, with random labels, its label
   * @param device where the sampling tasks compute (see {@link SampleEvaluationJob.Spec})
   * @param decoding the latent path's decoder and Inception; null for pixel (FD-FMNIST) models
   * @param reference real images: a dataset (pixel models) or an ADM {@code .npz} (latent)
   */
  public record Request(
      Path weights,
      ModelConfig config,
      int numSamples,
      long seed,
      String device,
      LatentDecoding decoding,
      Path reference) {
    public boolean latent() {
      return decoding != null;
    }
  }

  /** One setting's record ({@code step} −1: a checkpoint file has none) and, if kept, samples. */
  public record Measured(EvalRecord record, float[] samples) {}

  /** How one setting's samples become a record. */
  private interface Measure {
    EvalRecord record(SampleEvaluationJob.Result r, SamplerSpec setting);
  }

  private final JavaSparkContext sc;
  private final SampleEvaluationJob.Spec base;
  private final Measure measure;

  private CheckpointSweep(JavaSparkContext sc, SampleEvaluationJob.Spec base, Measure measure) {
    this.sc = sc;
    this.base = base;
    this.measure = measure;
  }

  /**
   * Prepares the weights for the executors and the reference's statistics.
   *
   * @param driverDevice where the driver extracts the reference's features
   */
  public static CheckpointSweep open(
      JavaSparkContext sc, Request request, SamplerSpec first, Device driverDevice)
      throws IOException {
    Path safetensors = asSafetensors(request.weights(), request.config());
    SampleEvaluationJob.Spec base =
        new SampleEvaluationJob.Spec(
            JSON.writeValueAsString(request.config().toMap()), safetensors.toString(),
            request.numSamples(), request.seed(), first,
            SampleEvaluationJob.defaultBlockSize(request.numSamples(), request.latent()),
            request.decoding(), request.device());
    Measure measure =
        request.latent()
            ? latentMeasure(request, driverDevice)
            : fmnistMeasure(sc, request, driverDevice);
    return new CheckpointSweep(sc, base, measure);
  }

  /** Samples and measures {@code setting}; with {@code keepSamples} the samples come back too. */
  public Measured measure(SamplerSpec setting, boolean keepSamples) {
    SampleEvaluationJob.Result r = SampleEvaluationJob.run(sc, base.with(setting), keepSamples);
    return new Measured(measure.record(r, setting), r.samples());
  }

  private static Measure fmnistMeasure(JavaSparkContext sc, Request request, Device device) {
    FrechetDistance fd;
    String sha;
    try (FmnistFeatures features = FmnistFeatures.ofDefault(device)) {
      FmnistImages real = FmnistImages.load(request.reference().toString(), sc.hadoopConfiguration());
      fd = FrechetDistance.against(
          features.summarize(real.pixels(), real.count()).features().gaussian());
      sha = features.sha256();
    }
    return (r, setting) ->
        CheckpointEvaluation.record(
            -1, setting, fd.to(r.pool().gaussian()).value(), r.score().mean(),
            request.numSamples(), sha, null);
  }

  private static Measure latentMeasure(Request request, Device device) {
    Path inception = Path.of(request.decoding().inception());
    EvaluationSide ref;
    try (TorchScriptInception net =
        TorchScriptInception.load(inception, inception.toString(), device)) {
      ref = ReferenceBatch.load(request.reference(), net);
    }
    FrechetDistance pool = FrechetDistance.against(ref.pool());
    FrechetDistance spatial = ref.spatial() != null ? FrechetDistance.against(ref.spatial()) : null;
    String source = request.weights().toString();
    return (r, setting) -> {
      MetricsReport report = Evaluation.compare(ref, r.sampleSide(source), pool, spatial, null);
      return CheckpointEvaluation.latentRecord(
          -1, setting, report, request.numSamples(), request.decoding(), null);
    };
  }

  /** The executors read safetensors; a .pt file is converted once on the driver. */
  private static Path asSafetensors(Path weights, ModelConfig config) throws IOException {
    if (weights.toString().endsWith(".safetensors")) {
      return weights;
    }
    Path converted = Files.createTempFile("igspark-eval-", ".safetensors");
    converted.toFile().deleteOnExit();
    try (OutputStream o = Files.newOutputStream(converted)) {
      ModelCheckpoints.exportSafetensors(config, ModelCheckpoints.load(weights), o);
    }
    return converted;
  }
}
