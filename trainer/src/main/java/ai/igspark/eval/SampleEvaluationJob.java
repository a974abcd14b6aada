package ai.igspark.eval;

import ai.igspark.data.InvalidInputException;
import ai.igspark.data.LoopbackOnly;
import ai.igspark.data.config.TypedConfig;
import ai.igspark.data.format.HostTensor;
import ai.igspark.data.format.SafetensorsFile;
import ai.igspark.data.ingest.HadoopConfiguration;
import ai.igspark.diffusion.Guidance;
import ai.igspark.diffusion.LabelPlan;
import ai.igspark.diffusion.Sampler;
import ai.igspark.diffusion.SamplingPlan;
import ai.igspark.eval.fmnist.FmnistCnn;
import ai.igspark.eval.fmnist.FmnistFeatures;
import ai.igspark.model.ModelConfig;
import java.io.IOException;
import java.io.InputStream;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaSparkContext;

/**
 * Samples N images from EMA weights on the cluster and reduces their feature statistics
 * (architecture.md §6). The samples are cut into fixed blocks by sample index, independent of
 * the number of executors, and every sample's noise and label are keyed by its index, so the
 * statistics do not depend on how many executors share the work.
 *
 * <p>Features come from the frozen Fashion-MNIST classifier (FD-FMNIST and the classifier score);
 * the Inception path for ImageNet latents needs a VAE decoder and is driven through {@code igspark
 * evaluate} instead.
 */
public final class SampleEvaluationJob {

  /**
   * What to sample and how.
   *
   * @param modelJson the model config (JSON)
   * @param weightsUri EMA weights (safetensors, any Hadoop URI)
   * @param balanced class-balanced labels (sample i has class i mod K) instead of random
   */
  public record Spec(
      String modelJson,
      String weightsUri,
      int numSamples,
      boolean balanced,
      long seed,
      String sampler,
      int steps,
      float igScale,
      float igLow,
      float igHigh,
      float cfgScale,
      float cfgLow,
      float cfgHigh,
      int blockSize)
      implements Serializable {

    SamplingPlan plan() {
      return new SamplingPlan(
          Sampler.parse("eval.sampler", sampler),
          steps,
          1.0,
          new Guidance(igScale, igLow, igHigh, cfgScale, cfgLow, cfgHigh));
    }
  }

  /** Feature statistics of the samples (128-d classifier features) and the classifier score. */
  public record Result(FeatureStatistics features, InceptionScore.Result classifierScore) {}

  /** What one block of samples contributes (a Spark task result). */
  public record Part(int block, double[] statistics, float[] logits, int count) implements Serializable {}

  private SampleEvaluationJob() {}

  public static Result run(JavaSparkContext sc, Spec spec) {
    ModelConfig config = model(spec);
    if (config.inChannels() != 1 || config.inputSize() != FmnistCnn.IMAGE_SIZE) {
      throw new InvalidInputException(
          "eval: the in-training evaluation measures FD-FMNIST on 1×32×32 pixel models; this"
              + " model samples " + config.inChannels() + "×" + config.inputSize() + "×"
              + config.inputSize() + ". Evaluate latent models with igspark evaluate");
    }
    int blocks = (spec.numSamples() + spec.blockSize() - 1) / spec.blockSize();
    List<Integer> ids = new ArrayList<>();
    for (int b = 0; b < blocks; b++) {
      ids.add(b);
    }
    HadoopConfiguration hadoop = new HadoopConfiguration(sc.hadoopConfiguration());
    List<Part> parts =
        new ArrayList<>(
            sc.parallelize(ids, blocks).map(b -> evaluateBlock(spec, hadoop, b)).collect());
    parts.sort((a, b) -> Integer.compare(a.block(), b.block()));
    FeatureStatistics stats = FeatureStatistics.create(FmnistCnn.FEATURES);
    InceptionScore score = InceptionScore.admChunks(InceptionScore.ADM_SPLIT_SIZE);
    for (Part p : parts) { // fixed order: block index
      stats.merge(FeatureStatistics.fromArray(p.statistics()));
      score.addLogits(p.logits(), p.count());
    }
    return new Result(stats, score.result());
  }

  static Part evaluateBlock(Spec spec, HadoopConfiguration hadoop, int block) throws IOException {
    LoopbackOnly.apply();
    int first = block * spec.blockSize();
    int n = Math.min(spec.blockSize(), spec.numSamples() - first);
    float[] images = sampleImages(spec, hadoop.get(), first, n);
    try (FmnistFeatures features = FmnistFeatures.ofDefault()) {
      FmnistFeatures.Batch batch = features.forward(images, 0, n);
      FeatureStatistics stats =
          FeatureStatistics.create(FmnistCnn.FEATURES).add(batch.features(), n);
      return new Part(block, stats.toArray(), batch.logits(), n);
    }
  }

  /** All {@code spec.numSamples()} images on this JVM (small sets, e.g. a sample grid). */
  public static float[] sampleImages(Spec spec, Configuration conf) throws IOException {
    return sampleImages(spec, conf, 0, spec.numSamples());
  }

  private static float[] sampleImages(Spec spec, Configuration conf, int first, int n)
      throws IOException {
    ModelConfig config = model(spec);
    LabelPlan labels =
        spec.balanced()
            ? LabelPlan.balanced(config.numClasses(), spec.numSamples())
            : LabelPlan.random(config.numClasses(), spec.seed());
    try (CheckpointSampler sampler =
        new CheckpointSampler(config, weights(spec.weightsUri(), conf), spec.weightsUri())) {
      return sampler.sample(
          spec.plan(), spec.seed(), first, labels.labels(first, n), null, n, null);
    }
  }

  private static ModelConfig model(Spec spec) {
    try {
      return ModelConfig.fromTree(TypedConfig.mapper().readTree(spec.modelJson()), "eval: model");
    } catch (IOException e) {
      throw new InvalidInputException("eval: model config is not JSON: " + e.getMessage());
    }
  }

  private static Map<String, HostTensor> weights(String uri, Configuration conf)
      throws IOException {
    Path path = new Path(uri);
    FileSystem fs = path.getFileSystem(conf);
    try (InputStream in = fs.open(path);
        SafetensorsFile st = SafetensorsFile.read(in, uri)) {
      Map<String, HostTensor> out = new LinkedHashMap<>();
      for (String name : st.names()) {
        out.put(name, st.read(name));
      }
      return out;
    }
  }
}
