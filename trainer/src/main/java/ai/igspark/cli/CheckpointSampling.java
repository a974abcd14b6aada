package ai.igspark.cli;

import ai.djl.Device;
import ai.igspark.data.InvalidInputException;
import ai.igspark.data.format.DatasetManifest;
import ai.igspark.diffusion.Sampler;
import ai.igspark.eval.SamplerSpec;
import ai.igspark.eval.SamplerSpec.Interval;
import ai.igspark.eval.SamplerSpec.LabelMode;
import ai.igspark.eval.TorchScriptInception;
import ai.igspark.eval.Uint8Convention;
import ai.igspark.eval.fmnist.FmnistCnn;
import ai.igspark.eval.job.CheckpointSweep;
import ai.igspark.eval.job.LatentDecoding;
import ai.igspark.eval.job.SamplerSweep;
import ai.igspark.metrics.EvalRecord;
import ai.igspark.metrics.MetricsJson;
import ai.igspark.model.ModelConfig;
import ai.igspark.spark.SparkContexts;
import ai.igspark.tensorfile.HostTensor;
import ai.igspark.tensorfile.Npy;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.api.java.JavaSparkContext;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code igspark evaluate --checkpoint}: samples weights on Spark with one guidance setting or a
 * sweep of them and measures each against the reference: FD-FMNIST for pixel-space Fashion-MNIST
 * models (the in-training metric of the demo, never called FID), or FID, sFID and IS for latent
 * models through a VAE decoder and an Inception ({@code --vae-decoder}, {@code --inception}).
 * This class reads the options and prints; {@link CheckpointSweep} samples and measures.
 */
final class CheckpointSampling {
  private static final ObjectMapper JSON = new ObjectMapper();
  /** The evaluation's defaults: SiT's SDE with 50 steps, no guidance, balanced labels. */
  private static final SamplerSpec DEFAULTS =
      new SamplerSpec(
          Sampler.SDE_EM, 50, 1.0, 1f, Interval.ALL, 1f, new Interval(0f, 0.7f),
          LabelMode.BALANCED);

  @Mixin CheckpointOptions source;

  /** The weights file, verified when it belongs to a committed checkpoint (set by run). */
  private Path weights;

  @Option(names = "--num-samples", defaultValue = "1000", description = "Samples per setting.")
  int numSamples;

  @Option(names = "--random-labels", description = "Random labels (default: class-balanced).")
  boolean randomLabels;

  @Mixin SamplerOptions sampling;

  @Option(names = "--seed", defaultValue = "0", description = "Seed of noise and labels.")
  long seed;

  @Option(
      names = "--sweep",
      arity = "1..*",
      paramLabel = "KEY=V1,V2",
      description = "Settings to sweep, each a key (sampler, steps, timestep-shift, ig-scale,"
          + " ig-interval, cfg-scale, cfg-interval, labels) with comma-separated values,"
          + " intervals written LO:HI; every combination is measured, the first key in this"
          + " order varying slowest, e.g. --sweep ig-scale=1.0,1.5 ig-interval=0.3:1,0:1")
  List<String> sweep = new ArrayList<>();

  @Option(names = "--vae-decoder", paramLabel = "DEC.pt",
      description = "TorchScript VAE decoder for latent models: float32 (N, C, h, w) latents,"
          + " un-normalised, to float (N, 3, H, W) images in [-1, 1]. Needs --inception,"
          + " --dataset and an ADM --reference .npz.")
  Path vaeDecoder;

  @Option(names = "--dataset", paramLabel = "DATASET",
      description = "The latent dataset the model was trained on (dataset.json or its"
          + " directory): its normalisation is undone before decoding.")
  String dataset;

  @Option(names = "--uint8", defaultValue = "floor",
      description = "Decoded image to uint8: floor = clamp(255(x+1)/2) truncated (REPA/IG,"
          + " default), round = clamp(127.5x+128) truncated (SiT).")
  String uint8;

  @Option(names = "--save-samples", paramLabel = "FILE.npy",
      description = "Also write the samples themselves (float32 [N, C, H, W], the model's output"
          + " before any decoding, collected on the driver); one setting only.")
  Path saveSamples;

  @Option(names = "--master", description = "Spark master (default local[1]).")
  String master;

  /** Whether weights were named, so that evaluate samples them. */
  boolean given() {
    return source.given();
  }

  /**
   * @param device where the sampling tasks compute; in local mode (the tasks run in this JVM) it
   *     is checked here and also extracts the reference's features, on a cluster the driver
   *     uses the CPU and each task checks the device on its executor
   */
  int run(Path reference, Path inception, Path output, PrintWriter out, DeviceOption device)
      throws IOException {
    weights = source.weights(); // verified if in a checkpoint
    String effectiveMaster = master != null ? master : System.getProperty("spark.master", "local");
    device.parse();
    Device driverDevice =
        effectiveMaster.startsWith("local") ? device.resolve() : Device.cpu();
    ModelConfig config = source.modelConfig(weights);
    List<SamplerSpec> settings = settings();
    if (saveSamples != null && settings.size() != 1) {
      throw new InvalidInputException(
          "--save-samples: writes the samples of one setting; the --sweep gives "
              + settings.size());
    }
    boolean latent = vaeDecoder != null;
    if (latent != (inception != null)) {
      throw new InvalidInputException(
          latent
              ? "--vae-decoder needs --inception FILE.pt (the Inception that measures FID)"
              : "--inception with --checkpoint needs --vae-decoder DEC.pt (latent models); pixel"
                  + " Fashion-MNIST models are measured with the built-in classifier");
    }
    LatentDecoding decoding = latent ? decoding(config, inception) : null;
    CheckpointSweep.Request request =
        new CheckpointSweep.Request(weights, config, numSamples, seed, device.value, decoding,
            reference);
    ArrayNode records = JSON.createArrayNode();
    SparkContexts.Builder spark = SparkContexts.builder().appName("igspark evaluate");
    if (master != null) {
      spark.master(master);
    }
    try (JavaSparkContext sc = spark.start()) {
      CheckpointSweep sweep = CheckpointSweep.open(sc, request, settings.get(0), driverDevice);
      out.printf("%-9s %-6s %-6s %-9s %-11s %-9s %-11s %s%n", "sampler", "steps", "shift",
          "ig-scale", "ig-interval", "cfg-scale", "cfg-interval", header(latent));
      for (SamplerSpec s : settings) {
        CheckpointSweep.Measured m = sweep.measure(s, saveSamples != null);
        EvalRecord rec = m.record();
        out.printf(
            Locale.ROOT, "%-9s %-6d %-6s %-9s %-11s %-9s %-11s %s%n", s.sampler().configName(),
            s.steps(), s.timestepShift(), s.igScale(), s.igInterval(), s.cfgScale(),
            s.cfgInterval(), row(latent, rec));
        out.flush();
        ObjectNode tree = MetricsJson.tree(rec);
        tree.remove("step"); // a checkpoint file has none: it names the checkpoint instead
        tree.put("checkpoint", weights.toString());
        records.add(tree);
        if (saveSamples != null) {
          Npy.write(saveSamples, HostTensor.ofFloats(new long[] {numSamples, config.inChannels(),
              config.inputSize(), config.inputSize()}, m.samples()));
          out.println("samples written to " + saveSamples);
        }
      }
    }
    int dim = latent ? TorchScriptInception.POOL_DIM : FmnistCnn.FEATURES;
    // Fewer samples than feature dimensions leave Σ rank-deficient (docs/METRICS.md §3 item 3).
    if (numSamples <= dim) {
      out.printf(
          "note: %d samples for %d-dimensional features: %s is biased upward and only"
              + " comparable at equal sample counts%n",
          numSamples, dim, latent ? "FID" : "FD-FMNIST");
    }
    if (output != null) {
      JSON.copy().enable(SerializationFeature.INDENT_OUTPUT).writeValue(output.toFile(), records);
      out.println("metrics written to " + output);
    }
    return 0;
  }

  private static String header(boolean latent) {
    return latent
        ? String.format("%20s %20s %12s", "FID", "sFID", "IS")
        : String.format("%20s %17s", "FD-FMNIST", "classifier score");
  }

  private static String row(boolean latent, EvalRecord rec) {
    if (!latent) {
      return String.format(Locale.ROOT, "%20.12g %17.6f", rec.value(), rec.classifierScore());
    }
    return String.format(Locale.ROOT, "%20.12g %20s %12s", rec.value(),
        rec.sfid() != null ? String.format(Locale.ROOT, "%.12g", rec.sfid()) : "n/a",
        rec.inceptionScore() != null
            ? String.format(Locale.ROOT, "%.6f", rec.inceptionScore())
            : "n/a");
  }

  private LatentDecoding decoding(ModelConfig config, Path inception) {
    if (dataset == null) {
      throw new InvalidInputException(
          "--vae-decoder needs --dataset DATASET (the model's training dataset.json): its "
              + "normalisation is undone before decoding");
    }
    DatasetManifest manifest = DatasetManifest.read(dataset, new Configuration());
    List<Integer> shape = List.of(config.inChannels(), config.inputSize(), config.inputSize());
    if (!manifest.latentShape().equals(shape)) {
      throw new InvalidInputException(
          dataset + ": latents of shape " + manifest.latentShape() + ", but the model "
              + weights + " samples " + shape);
    }
    return LatentDecoding.check(
        vaeDecoder, inception, manifest.normalization(), Uint8Convention.parse("--uint8", uint8),
        new int[] {config.inChannels(), config.inputSize(), config.inputSize()});
  }

  /** Every setting to measure: the options' spec, or each combination of the sweep over it. */
  List<SamplerSpec> settings() {
    SamplerSpec base =
        sampling.spec(DEFAULTS, randomLabels ? LabelMode.RANDOM : LabelMode.BALANCED);
    return SamplerSweep.expand(base, sweep);
  }
}
