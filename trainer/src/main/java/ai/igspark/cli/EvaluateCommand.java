package ai.igspark.cli;

import ai.djl.Device;
import ai.igspark.data.InvalidInputException;
import ai.igspark.eval.AdmStatistics;
import ai.igspark.eval.Evaluation;
import ai.igspark.eval.EvaluationSide;
import ai.igspark.eval.FeatureExtractor;
import ai.igspark.eval.ImageFeatures;
import ai.igspark.eval.MetricsReport;
import ai.igspark.eval.NpzImages;
import ai.igspark.eval.TorchScriptInception;
import ai.igspark.tensorfile.Npz;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code igspark evaluate}: FID, sFID, IS and precision/recall of a sample batch against a
 * reference batch, both ADM-style {@code .npz} files (docs/METRICS.md §2).
 *
 * <p>With {@code --checkpoint} ({@link CheckpointSampling}) the samples come from a Spark
 * sampling job instead, one per setting of a {@code --sweep}, measured against one cached
 * reference {@link ai.igspark.eval.FrechetDistance}.
 */
@Command(
    name = "evaluate",
    mixinStandardHelpOptions = true,
    description = {
      "Compute FID, sFID, Inception Score and precision/recall (ADM evaluation suite).",
      "Both files are .npz: statistics (mu, sigma[, mu_s, sigma_s]) and/or uint8 images arr_0",
      "(N, H, W, 3). Stored statistics are used for FID/sFID when present; images go through",
      "the --inception extractor for the other metrics.",
      "With --checkpoint (or --run DIR [--step N], a run's committed EMA weights) instead of",
      "--samples, samples the weights as a Spark job (local mode unless --master) with the given",
      "guidance, or a --sweep of settings in one job each. Files of a committed checkpoint are",
      "verified against its manifest (SHA-256) before they are used.",
      "Latent models (--vae-decoder, --inception, --dataset): decoded, converted to uint8 and",
      "measured with FID/sFID/IS against the --reference .npz. Pixel-space Fashion-MNIST",
      "models: FD-FMNIST against the --reference dataset."
    })
final class EvaluateCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = "--reference", required = true, paramLabel = "REF",
      description = "Reference batch: ADM statistics and/or images arr_0 (.npz); with "
          + "--checkpoint of a pixel model, a dataset directory of real images (e.g. "
          + "data/fashion-mnist-test).")
  Path reference;

  @Option(names = "--samples", paramLabel = "SAMPLES.npz",
      description = "Sample batch: images arr_0 (uint8 NHWC) or statistics.")
  Path samples;

  /** Sampling a checkpoint instead of reading --samples. */
  @Mixin CheckpointSampling checkpoint;

  @Option(names = "--inception", paramLabel = "FILE.pt",
      description = "TorchScript feature extractor (contract: docs/METRICS.md §7). Needed for "
          + "any side given as images, and with --checkpoint --vae-decoder.")
  Path inception;

  @Option(names = "--output", paramLabel = "metrics.json",
      description = "Write the metrics as JSON here.")
  Path output;

  @Option(names = "--save-stats", paramLabel = "FILE.npz",
      description = "Write the samples' statistics (mu, sigma[, mu_s, sigma_s]) ADM-style, "
          + "e.g. to turn a batch of images into a reusable reference.")
  Path saveStats;

  @Option(names = "--batch-size", defaultValue = "64", paramLabel = "N",
      description = "Images per extractor call (default: ${DEFAULT-VALUE}, as ADM).")
  int batchSize;

  /** With --checkpoint: where the sampling tasks run it, and the driver too in local mode. */
  @Mixin DeviceOption device;

  @Override
  public Integer call() throws IOException {
    boolean sampled = checkpoint.given();
    if ((samples == null) == !sampled) {
      throw new InvalidInputException(
          "give exactly one of --samples SAMPLES.npz and --checkpoint WEIGHTS (or --run DIR)");
    }
    Path[] inputs = !sampled
        ? new Path[] {reference, samples, inception}
        : new Path[] {reference, inception, checkpoint.source.file, checkpoint.vaeDecoder,
            checkpoint.source.modelConfigFile};
    OutputGuard.check("--output", output, inputs);
    OutputGuard.check("--save-stats", saveStats, inputs);
    OutputGuard.check("--save-samples", checkpoint.saveSamples, inputs);
    if (sampled) {
      return checkpoint.run(reference, inception, output, spec.commandLine().getOut(), device);
    }
    Device on = device.resolve();
    if (batchSize <= 0) {
      throw new InvalidInputException("--batch-size must be positive, got " + batchSize);
    }
    MetricsReport report;
    EvaluationSide sampleSide;
    try (Npz ref = Npz.open(reference);
        Npz smp = Npz.open(samples)) {
      requireContent(ref, "--reference");
      requireContent(smp, "--samples");
      boolean refStats = AdmStatistics.present(ref);
      boolean smpStats = AdmStatistics.present(smp);
      boolean refImages = ref.has(NpzImages.KEY);
      boolean smpImages = smp.has(NpzImages.KEY);
      if (inception == null) {
        for (Npz npz : new Npz[] {ref, smp}) {
          if (!AdmStatistics.present(npz)) {
            throw new InvalidInputException(
                npz.file() + " holds images (arr_0) but no statistics (mu, sigma): extracting "
                    + "features needs --inception FILE.pt");
          }
        }
      }
      try (FeatureExtractor extractor =
          inception != null
              ? TorchScriptInception.load(inception, inception.toString(), on) : null) {
        boolean precisionRecall = extractor != null && refImages && smpImages;
        sampleSide = side(smp, smpStats, smpImages, extractor, precisionRecall, true);
        EvaluationSide refSide =
            side(ref, refStats, refImages && (precisionRecall || !refStats), extractor,
                precisionRecall, false);
        report = Evaluation.compare(refSide, sampleSide, extractor);
      }
    }
    PrintWriter out = spec.commandLine().getOut();
    printTable(out, report);
    if (output != null) {
      new ObjectMapper()
          .enable(SerializationFeature.INDENT_OUTPUT)
          .writeValue(output.toFile(), report.toJson());
      out.println("metrics written to " + output);
    }
    if (saveStats != null) {
      if (sampleSide.pool() == null) {
        throw new InvalidInputException(
            "--save-stats: " + samples + " yielded no feature statistics to save");
      }
      AdmStatistics.write(saveStats, sampleSide.pool(), sampleSide.spatial());
      out.println("sample statistics written to " + saveStats);
    }
    out.flush();
    return 0;
  }

  private static void requireContent(Npz npz, String option) {
    if (!AdmStatistics.present(npz) && !npz.has(NpzImages.KEY)) {
      throw new InvalidInputException(
          option + " " + npz.file() + ": holds neither statistics ('mu', 'sigma') nor images "
              + "('arr_0'); the archive holds: "
              + (npz.keys().isEmpty() ? "nothing" : String.join(", ", npz.keys())));
    }
  }

  private EvaluationSide side(
      Npz npz, boolean stats, boolean useImages, FeatureExtractor extractor,
      boolean keepPoolFeatures, boolean inceptionScore) {
    EvaluationSide side = null;
    if (useImages && extractor != null) {
      try (NpzImages images = NpzImages.open(npz)) {
        spec.commandLine().getErr().printf(
            "extracting features of %d images from %s%n", images.count(), images.description());
        side = ImageFeatures.collect(
            images, extractor,
            new ImageFeatures.Wanted(keepPoolFeatures, inceptionScore, batchSize));
      }
    }
    if (stats) {
      var pool = AdmStatistics.pool(npz);
      var spatial = AdmStatistics.spatial(npz).orElse(null);
      side = side == null
          ? EvaluationSide.ofStatistics(npz.file().toString(), pool, spatial)
          : side.withStoredStatistics(pool, spatial);
    }
    return side;
  }

  private static void printTable(PrintWriter out, MetricsReport r) {
    out.printf("%-22s %s%n", "metric", "value");
    row(out, "FID", r.fid());
    row(out, "sFID", r.sfid());
    row(out, "Inception Score", r.inceptionScore());
    row(out, "Inception Score std", r.inceptionScoreStd());
    row(out, "Precision", r.precision());
    row(out, "Recall", r.recall());
    out.printf("%-22s %d%n", "reference images", r.referenceCount());
    out.printf("%-22s %d%n", "sample images", r.sampleCount());
    if (r.extractorSha256() != null) {
      out.printf("%-22s %s%n", "extractor sha256", r.extractorSha256());
    }
    for (String w : r.warnings()) {
      out.println("warning: " + w);
    }
  }

  private static void row(PrintWriter out, String name, Double value) {
    // 16 significant digits: enough to see every bit that matters of a double FID.
    out.printf("%-22s %s%n", name, value == null ? "n/a" : String.format("%.16g", value));
  }
}
