package ai.igspark.cli;

import ai.igspark.data.InvalidInputException;
import ai.igspark.diffusion.Guidance;
import ai.igspark.eval.CheckpointEvaluation;
import ai.igspark.eval.FrechetDistance;
import ai.igspark.eval.SampleEvaluationJob;
import ai.igspark.eval.fmnist.FmnistCnn;
import ai.igspark.eval.fmnist.FmnistFeatures;
import ai.igspark.eval.fmnist.FmnistImages;
import ai.igspark.dist.SparkContexts;
import ai.igspark.model.ModelCheckpoints;
import ai.igspark.model.ModelConfig;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.spark.api.java.JavaSparkContext;
import picocli.CommandLine.Option;

/**
 * {@code igspark evaluate --checkpoint}: samples weights on Spark with one guidance setting or a
 * sweep of them and measures each against real images (FD-FMNIST for pixel-space Fashion-MNIST
 * models: the in-training metric of the demo, never called FID).
 */
final class CheckpointSampling {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Option(names = "--checkpoint", required = true, paramLabel = "WEIGHTS",
      description = "EMA weights (.safetensors with an embedded config, or .pt with --model).")
  Path weights;

  @Option(names = "--model", description = "Model preset, when the weights do not name it.")
  String preset;

  @Option(names = "--model-config", description = "Model config file, ditto.")
  Path modelConfigFile;

  @Option(names = "--num-samples", defaultValue = "1000", description = "Samples per setting.")
  int numSamples;

  @Option(names = "--random-labels", description = "Random labels (default: class-balanced).")
  boolean randomLabels;

  @Option(names = "--sampler", defaultValue = "sde-em", description = "Sampler (sde-em, ...).")
  String sampler;

  @Option(names = "--steps", defaultValue = "50", description = "Sampler steps.")
  int steps;

  @Option(names = "--ig-scale", defaultValue = "1.0", description = "IG scale.")
  float igScale;

  @Option(names = "--cfg-scale", defaultValue = "1.0", description = "CFG scale.")
  float cfgScale;

  @Option(
      names = "--ig-interval",
      defaultValue = "0,1",
      description = "IG interval LO,HI in SiT time (default ${DEFAULT-VALUE}: all t).")
  String igInterval;

  @Option(names = "--seed", defaultValue = "0", description = "Seed of noise and labels.")
  long seed;

  @Option(
      names = "--sweep",
      arity = "1..*",
      paramLabel = "KEY=V1,V2",
      description = "Settings to sweep, each a key (ig-scale, cfg-scale, steps) with values;"
          + " every combination is measured, e.g. --sweep ig-scale=1.0,1.5 cfg-scale=1.0,2.0")
  List<String> sweep = new ArrayList<>();

  @Option(names = "--master", description = "Spark master (default local[1]).")
  String master;

  /** One setting of the sweep. */
  record Setting(float igScale, float cfgScale, int steps) {}

  int run(Path reference, Path output, PrintWriter out) throws IOException {
    ModelConfig config = modelConfig();
    Path safetensors = asSafetensors(config);
    List<Setting> settings = settings();
    String[] interval = igInterval.split(",");
    float igLow;
    float igHigh;
    try {
      igLow = Float.parseFloat(interval[0].trim());
      igHigh = Float.parseFloat(interval[interval.length - 1].trim());
    } catch (NumberFormatException e) {
      igLow = Float.NaN;
      igHigh = Float.NaN;
    }
    if (interval.length != 2 || Float.isNaN(igLow) || Float.isNaN(igHigh)) {
      throw new InvalidInputException(
          "--ig-interval: '" + igInterval + "', expected LO,HI such as 0.3,1");
    }
    String modelJson = JSON.writeValueAsString(config.toMap());
    ArrayNode records = JSON.createArrayNode();
    SparkContexts.Builder spark = SparkContexts.builder().appName("igspark evaluate");
    if (master != null) {
      spark.master(master);
    }
    try (JavaSparkContext sc = spark.start();
        FmnistFeatures features = FmnistFeatures.ofDefault()) {
      FmnistImages real = FmnistImages.load(reference.toString(), sc.hadoopConfiguration());
      FrechetDistance fd =
          FrechetDistance.against(
              features.summarize(real.pixels(), real.count()).features().gaussian());
      out.printf(
          "%-10s %-10s %-6s %20s %17s%n", "ig-scale", "cfg-scale", "steps", "FD-FMNIST",
          "classifier score");
      for (Setting s : settings) {
        Guidance g = new Guidance(s.igScale(), igLow, igHigh, s.cfgScale(), 0f, 0.7f);
        SampleEvaluationJob.Result r =
            SampleEvaluationJob.run(
                sc,
                new SampleEvaluationJob.Spec(
                    modelJson, safetensors.toString(), numSamples, !randomLabels, seed, sampler,
                    s.steps(), g.igScale(), g.igLow(), g.igHigh(), g.cfgScale(), g.cfgLow(),
                    g.cfgHigh(), 100));
        double value = fd.to(r.features().gaussian()).value();
        double score = r.classifierScore().mean();
        out.printf(
            Locale.ROOT, "%-10s %-10s %-6d %20.12g %17.6f%n", s.igScale(), s.cfgScale(),
            s.steps(), value, score);
        out.flush();
        ObjectNode rec =
            CheckpointEvaluation.record(
                -1, g, value, score, numSamples, !randomLabels, sampler, s.steps(),
                features.sha256(), null);
        rec.remove("step");
        rec.put("checkpoint", weights.toString());
        records.add(rec);
      }
    }
    // Fewer samples than feature dimensions leave Σ rank-deficient (evaluation.md §4 item 3).
    if (numSamples < FmnistCnn.FEATURES) {
      out.printf(
          "note: %d samples for %d-dimensional features: FD-FMNIST is biased upward and only"
              + " comparable at equal sample counts%n",
          numSamples, FmnistCnn.FEATURES);
    }
    if (output != null) {
      JSON.copy().enable(SerializationFeature.INDENT_OUTPUT).writeValue(output.toFile(), records);
      out.println("metrics written to " + output);
    }
    return 0;
  }

  private ModelConfig modelConfig() {
    return ModelCheckpoints.configFor(weights, preset, modelConfigFile);
  }

  /** The executors read safetensors; a .pt file is converted once on the driver. */
  private Path asSafetensors(ModelConfig config) throws IOException {
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

  private List<Setting> settings() {
    Map<String, List<String>> axes = new LinkedHashMap<>();
    axes.put("ig-scale", List.of(Float.toString(igScale)));
    axes.put("cfg-scale", List.of(Float.toString(cfgScale)));
    axes.put("steps", List.of(Integer.toString(steps)));
    for (String item : sweep) {
      int eq = item.indexOf('=');
      String key = eq < 0 ? item : item.substring(0, eq);
      if (eq < 0 || !axes.containsKey(key) || item.substring(eq + 1).isBlank()) {
        throw new InvalidInputException(
            "--sweep: '" + item + "', expected KEY=V1,V2,... with KEY one of " + axes.keySet());
      }
      axes.put(key, List.of(item.substring(eq + 1).split(",")));
    }
    List<Setting> out = new ArrayList<>();
    try {
      for (String ig : axes.get("ig-scale")) {
        for (String cfg : axes.get("cfg-scale")) {
          for (String st : axes.get("steps")) {
            out.add(
                new Setting(
                    Float.parseFloat(ig.trim()), Float.parseFloat(cfg.trim()),
                    Integer.parseInt(st.trim())));
          }
        }
      }
    } catch (NumberFormatException e) {
      throw new InvalidInputException("--sweep: not a number: " + e.getMessage());
    }
    return out;
  }
}
