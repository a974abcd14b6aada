package ai.igspark.eval.job;

import ai.djl.Device;
import ai.igspark.ckpt.CheckpointReader;
import ai.igspark.data.InvalidInputException;
import ai.igspark.data.LoopbackOnly;
import ai.igspark.data.config.TypedConfig;
import ai.igspark.data.ingest.HadoopConfiguration;
import ai.igspark.device.ComputeDevice;
import ai.igspark.diffusion.Guidance;
import ai.igspark.diffusion.LabelPlan;
import ai.igspark.diffusion.SamplingPlan;
import ai.igspark.eval.CheckpointSampler;
import ai.igspark.eval.EvaluationSide;
import ai.igspark.eval.FeatureExtractor;
import ai.igspark.eval.FeatureStatistics;
import ai.igspark.eval.ImageBatch;
import ai.igspark.eval.InceptionScore;
import ai.igspark.eval.SamplerSpec;
import ai.igspark.eval.TorchScriptDecoder;
import ai.igspark.eval.TorchScriptInception;
import ai.igspark.eval.fmnist.FmnistCnn;
import ai.igspark.eval.fmnist.FmnistFeatures;
import ai.igspark.model.ModelConfig;
import ai.igspark.spark.DeviceAssignment;
import ai.igspark.spark.StageProfiles;
import ai.igspark.tensorfile.HostTensor;
import ai.igspark.tensorfile.SafetensorsFile;
import java.io.IOException;
import java.io.InputStream;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.api.java.JavaSparkContext;

/**
 * Samples N images from EMA weights on the cluster and reduces their feature statistics
 * (docs/ARCHITECTURE.md §6). The samples are cut into fixed blocks by sample index, independent of
 * the number of executors, and every sample's noise and label are keyed by its index. Each Spark
 * partition holds a run of consecutive blocks, loads the weights and the feature extractor once,
 * and returns one result per block; the driver merges them in block order. So the statistics do
 * not depend on how many executors share the work, bit for bit.
 *
 * <p>Why not {@code treeAggregate}: its combine order follows task completion and shuffle fetch
 * order, so floating-point sums would change from run to run. A fixed-order merge costs one
 * statistics object per block on the driver, which the block size bounds ({@link
 * #defaultBlockSize}).
 *
 * <p>Two feature paths: pixel models (1×32×32 Fashion-MNIST) through the frozen classifier
 * (FD-FMNIST and the classifier score), and latent models through {@link LatentDecoding}: VAE
 * decoder, uint8, TorchScript Inception (FID, sFID, IS).
 */
public final class SampleEvaluationJob {
  /**
   * Samples per model call, that of every sampling path ({@link CheckpointSampler#BATCH}); blocks
   * are multiples of it, so a block's batches are those {@code igspark sample} cuts.
   */
  static final int SAMPLE_BATCH = CheckpointSampler.BATCH;
  /** At most this many blocks for Inception-size features (see {@link #defaultBlockSize}). */
  static final int MAX_INCEPTION_BLOCKS = 16;
  /** Images of block 0 kept for a preview grid (latent path). */
  static final int PREVIEW = 16;

  /**
   * What to sample and how.
   *
   * @param modelJson the model config (JSON)
   * @param weightsUri EMA weights (safetensors, any Hadoop URI)
   * @param seed keys every sample's noise and, with random labels, its label
   * @param sampling sampler, steps, shift, guidance and label mode (the one {@link SamplerSpec})
   * @param decoding the latent path's decoder and Inception; null for pixel (FD-FMNIST) models
   * @param device where each task samples and extracts features: {@code cpu}, {@code gpu:N}, or
   *     {@value ComputeDevice#TASK} (the first GPU Spark gave the task, else the CPU); see {@link
   *     ComputeDevice}
   */
  public record Spec(
      String modelJson,
      String weightsUri,
      int numSamples,
      long seed,
      SamplerSpec sampling,
      int blockSize,
      LatentDecoding decoding,
      String device)
      implements Serializable {

    public Spec {
      ComputeDevice.parseJob("eval device", device);
    }

    SamplingPlan plan() {
      return sampling.plan();
    }

    public Guidance guidance() {
      return sampling.guidance();
    }

    public boolean balanced() {
      return sampling.balanced();
    }

    /** The same job with another sampling setting (one point of a sweep). */
    public Spec with(SamplerSpec other) {
      return new Spec(
          modelJson, weightsUri, numSamples, seed, other, blockSize, decoding, device);
    }
  }

  /**
   * Feature statistics of the samples and their (Inception or classifier) score.
   *
   * @param pool pool features (Inception 2048-d; the classifier's 128-d for FD-FMNIST)
   * @param spatial spatial features (sFID), null when the extractor has none
   * @param score IS from Inception logits, or the classifier score; null without logits
   * @param loads how many times a task loaded weights and extractor (one per partition)
   * @param preview uint8 NCHW images of the first samples (latent path), else null
   * @param samples the model's samples themselves (NCHW floats, before any decoding, in sample
   *     order) when the job was asked to keep them, else null
   */
  public record Result(
      FeatureStatistics pool,
      FeatureStatistics spatial,
      InceptionScore.Result score,
      int loads,
      ImageBatch preview,
      float[] samples) {

    /** The sample side of a comparison: statistics and IS, no per-sample features. */
    public EvaluationSide sampleSide(String source) {
      if (pool.count() < 2) {
        throw new InvalidInputException(
            source + ": " + pool.count() + " sample; FID needs at least 2 to form a covariance");
      }
      return new EvaluationSide(
          source, pool.count(), pool.gaussian(), spatial != null ? spatial.gaussian() : null,
          null, score);
    }
  }

  /** What one block of samples contributes (a Spark task result). */
  public record Part(
      int block,
      int count,
      double[] pool,
      double[] spatial,
      InceptionScore.ChunkSums[] score,
      int loads,
      ImageBatch preview,
      float[] samples)
      implements Serializable {}

  private SampleEvaluationJob() {}

  /**
   * Samples per block, a multiple of {@link #SAMPLE_BATCH}: 128 for the classifier's 128-d
   * features; for Inception at most {@link #MAX_INCEPTION_BLOCKS} blocks, since one block's
   * statistics are (2048² + 2023²)/2 doubles (33 MB) on the driver.
   */
  public static int defaultBlockSize(int numSamples, boolean inception) {
    if (!inception) {
      return 4 * SAMPLE_BATCH;
    }
    int perBlock = (numSamples + MAX_INCEPTION_BLOCKS - 1) / MAX_INCEPTION_BLOCKS;
    return Math.max(1, (perBlock + SAMPLE_BATCH - 1) / SAMPLE_BATCH) * SAMPLE_BATCH;
  }

  public static Result run(JavaSparkContext sc, Spec spec) {
    return run(sc, spec, false);
  }

  /**
   * As {@link #run(JavaSparkContext, Spec)}; with {@code keepSamples} the samples themselves come
   * back too ({@link Result#samples}: {@code evaluate --save-samples}), collected on the driver.
   */
  public static Result run(JavaSparkContext sc, Spec spec, boolean keepSamples) {
    ModelConfig config = model(spec);
    if (spec.decoding() == null
        && (config.inChannels() != 1 || config.inputSize() != FmnistCnn.IMAGE_SIZE)) {
      throw new InvalidInputException(
          "eval: without a VAE decoder the evaluation measures FD-FMNIST on 1×32×32 pixel "
              + "models; this model samples " + config.inChannels() + "×" + config.inputSize()
              + "×" + config.inputSize() + ". Latent models need a VAE decoder and an Inception "
              + "(igspark evaluate --vae-decoder --inception, or eval.vae_decoder and "
              + "eval.inception in the run config)");
    }
    if (spec.numSamples() < 1 || spec.blockSize() < 1) {
      throw new InvalidInputException(
          "eval: " + spec.numSamples() + " samples in blocks of " + spec.blockSize()
              + "; both must be at least 1");
    }
    if (spec.decoding() != null) {
      // Executors load their own copies, checked against the driver's SHA-256 (LatentDecoding).
      sc.addFile(java.nio.file.Path.of(spec.decoding().decoder()).toAbsolutePath().toString());
      sc.addFile(java.nio.file.Path.of(spec.decoding().inception()).toAbsolutePath().toString());
    }
    int blocks = (spec.numSamples() + spec.blockSize() - 1) / spec.blockSize();
    List<Integer> ids = new ArrayList<>();
    for (int b = 0; b < blocks; b++) {
      ids.add(b);
    }
    HadoopConfiguration hadoop = new HadoopConfiguration(sc.hadoopConfiguration());
    int partitions = Math.max(1, Math.min(blocks, sc.defaultParallelism()));
    List<Part> parts =
        new ArrayList<>(
            StageProfiles.apply(sc, sc.parallelize(ids, partitions),
                    StageProfiles.of(sc).evaluation(ComputeDevice.TASK.equals(spec.device())))
                .mapPartitions(it -> evaluateBlocks(spec, hadoop, it, keepSamples).iterator())
                .collect());
    parts.sort((a, b) -> Integer.compare(a.block(), b.block()));
    return merge(parts);
  }

  /** Merges block results in block order (the order fixes the floating-point sums). */
  static Result merge(List<Part> parts) {
    FeatureStatistics pool = null;
    FeatureStatistics spatial = null;
    InceptionScore score = null;
    int loads = 0;
    ImageBatch preview = null;
    boolean kept = !parts.isEmpty() && parts.get(0).samples() != null;
    int keptLength = 0;
    for (Part p : parts) {
      keptLength += kept ? p.samples().length : 0;
    }
    float[] samples = kept ? new float[keptLength] : null;
    int at = 0;
    for (int i = 0; i < parts.size(); i++) {
      Part p = parts.get(i);
      parts.set(i, null); // lets each block's statistics go once merged
      pool = mergeInto(pool, p.pool());
      spatial = mergeInto(spatial, p.spatial());
      if (p.score().length > 0) {
        score = score != null ? score : InceptionScore.admChunks(InceptionScore.ADM_SPLIT_SIZE);
        for (InceptionScore.ChunkSums s : p.score()) {
          score.addSums(s);
        }
      }
      loads += p.loads();
      preview = p.preview() != null ? p.preview() : preview;
      if (kept) {
        System.arraycopy(p.samples(), 0, samples, at, p.samples().length);
        at += p.samples().length;
      }
    }
    return new Result(
        pool, spatial, score != null ? score.result() : null, loads, preview, samples);
  }

  private static FeatureStatistics mergeInto(FeatureStatistics into, double[] packed) {
    if (packed == null) {
      return into;
    }
    FeatureStatistics s = FeatureStatistics.fromArray(packed);
    return into == null ? s : into.merge(s);
  }

  /** One partition: loads weights and extractor once, then evaluates its blocks in order. */
  static List<Part> evaluateBlocks(
      Spec spec, HadoopConfiguration hadoop, Iterator<Integer> blocks, boolean keepSamples)
      throws IOException {
    LoopbackOnly.apply();
    List<Part> out = new ArrayList<>();
    if (!blocks.hasNext()) {
      return out;
    }
    ModelConfig config = model(spec);
    Device device = DeviceAssignment.forJob("eval device", spec.device());
    try (CheckpointSampler sampler =
            new CheckpointSampler(
                config, weights(spec.weightsUri(), hadoop.get()), spec.weightsUri(), device);
        SampleFeatures features = SampleFeatures.open(spec, config, device)) {
      int loads = 1;
      while (blocks.hasNext()) {
        out.add(
            evaluateBlock(spec, config, sampler, features, blocks.next(), loads, keepSamples));
        loads = 0;
      }
    }
    return out;
  }

  private static Part evaluateBlock(
      Spec spec, ModelConfig config, CheckpointSampler sampler, SampleFeatures features,
      int block, int loads, boolean keepSamples) {
    int first = block * spec.blockSize();
    int n = Math.min(spec.blockSize(), spec.numSamples() - first);
    LabelPlan labels = labelPlan(spec, config);
    FeatureStatistics pool = FeatureStatistics.create(features.poolDim());
    FeatureStatistics spatial =
        features.spatialDim() > 0 ? FeatureStatistics.create(features.spatialDim()) : null;
    InceptionScore.Partial score =
        features.logits() ? new InceptionScore.Partial(first, InceptionScore.ADM_SPLIT_SIZE) : null;
    ImageBatch[] preview = {null};
    int per = Math.toIntExact(sampler.sampleShape().size());
    float[] kept = keepSamples ? new float[n * per] : null;
    sampler.sampleBatches(
        spec.plan(), spec.seed(), first, labels.labels(first, n), null, SAMPLE_BATCH,
        (start, b, samples) -> {
          if (kept != null) {
            // Before extraction: the latent path un-normalises the samples in place.
            System.arraycopy(samples, 0, kept, start * per, b * per);
          }
          SampleFeatures.Extracted e = features.extract(samples, b);
          pool.add(e.features().pool(), b);
          if (spatial != null) {
            spatial.add(e.features().spatial(), b);
          }
          if (score != null) {
            score.addLogits(e.features().logits(), b);
          }
          if (first + start == 0 && e.images() != null) {
            ImageBatch im = e.images();
            int k = Math.min(PREVIEW, b);
            preview[0] =
                new ImageBatch(
                    Arrays.copyOf(im.pixels(), k * 3 * im.height() * im.width()), k,
                    im.height(), im.width(), ImageBatch.Layout.NCHW);
          }
        });
    return new Part(
        block, n, pool.toArray(), spatial != null ? spatial.toArray() : null,
        score != null ? score.sums().toArray(new InceptionScore.ChunkSums[0])
            : new InceptionScore.ChunkSums[0],
        loads, preview[0], kept);
  }

  /** Evaluates blocks {@code ids} in this JVM, as one partition would (tests, benchmarks). */
  static Result runHere(Spec spec, Configuration conf, List<Integer> ids) throws IOException {
    return merge(
        new ArrayList<>(
            evaluateBlocks(spec, new HadoopConfiguration(conf), ids.iterator(), false)));
  }

  /** All {@code spec.numSamples()} samples on this JVM (small sets, e.g. a sample grid). */
  public static float[] sampleImages(Spec spec, Configuration conf) throws IOException {
    ModelConfig config = model(spec);
    try (CheckpointSampler sampler =
        new CheckpointSampler(config, weights(spec.weightsUri(), conf), spec.weightsUri(),
            DeviceAssignment.forJob("eval device", spec.device()))) {
      int n = spec.numSamples();
      return sampler.sample(
          spec.plan(), spec.seed(), 0, labelPlan(spec, config).labels(0, n), null, n, null);
    }
  }

  private static LabelPlan labelPlan(Spec spec, ModelConfig config) {
    return spec.sampling().labelPlan(config.numClasses(), spec.numSamples(), spec.seed());
  }

  static ModelConfig model(Spec spec) {
    try {
      return ModelConfig.fromTree(TypedConfig.mapper().readTree(spec.modelJson()), "eval: model");
    } catch (IOException e) {
      throw new InvalidInputException("eval: model config is not JSON: " + e.getMessage());
    }
  }

  private static Map<String, HostTensor> weights(String uri, Configuration conf)
      throws IOException {
    // A file of a committed checkpoint is verified against its manifest while it streams.
    try (InputStream in = CheckpointReader.open(uri, conf);
        SafetensorsFile st = SafetensorsFile.read(in, uri)) {
      Map<String, HostTensor> out = new LinkedHashMap<>();
      for (String name : st.names()) {
        out.put(name, st.read(name));
      }
      return out;
    }
  }

  /** What a partition turns model samples into: features, and the images when decoded. */
  interface SampleFeatures extends AutoCloseable {
    record Extracted(FeatureExtractor.Features features, ImageBatch images) {}

    int poolDim();

    /** 0 when there are no spatial features. */
    int spatialDim();

    boolean logits();

    Extracted extract(float[] samples, int count);

    @Override
    void close();

    static SampleFeatures open(Spec spec, ModelConfig config, Device device) {
      return spec.decoding() == null
          ? new Classifier(device)
          : new Decoded(spec.decoding(), config, device);
    }
  }

  /** Pixel samples in [−1, 1] straight into the Fashion-MNIST classifier. */
  private static final class Classifier implements SampleFeatures {
    private final FmnistFeatures features;

    Classifier(Device device) {
      features = FmnistFeatures.ofDefault(device);
    }

    @Override
    public int poolDim() {
      return FmnistCnn.FEATURES;
    }

    @Override
    public int spatialDim() {
      return 0;
    }

    @Override
    public boolean logits() {
      return true;
    }

    @Override
    public Extracted extract(float[] samples, int count) {
      FmnistFeatures.Batch b = features.forward(samples, 0, count);
      return new Extracted(
          new FeatureExtractor.Features(count, b.features(), null, b.logits()), null);
    }

    @Override
    public void close() {
      features.close();
    }
  }

  /** Latents → un-normalise → VAE decoder → uint8 → Inception. */
  private static final class Decoded implements SampleFeatures {
    private final LatentDecoding decoding;
    private final ModelConfig config;
    private final TorchScriptDecoder decoder;
    private final TorchScriptInception inception;

    Decoded(LatentDecoding decoding, ModelConfig config, Device device) {
      this.decoding = decoding;
      this.config = config;
      int[] latent = {config.inChannels(), config.inputSize(), config.inputSize()};
      this.decoder =
          TorchScriptDecoder.load(decoding.localDecoder(), latent, decoding.decoder(), device);
      try {
        this.inception =
            TorchScriptInception.load(decoding.localInception(), decoding.inception(), device);
      } catch (RuntimeException e) {
        decoder.close();
        throw e;
      }
    }

    @Override
    public int poolDim() {
      return inception.outputs().get(FeatureExtractor.Output.POOL);
    }

    @Override
    public int spatialDim() {
      return inception.outputs().getOrDefault(FeatureExtractor.Output.SPATIAL, 0);
    }

    @Override
    public boolean logits() {
      return inception.outputs().containsKey(FeatureExtractor.Output.LOGITS);
    }

    @Override
    public Extracted extract(float[] samples, int count) {
      int hw = config.inputSize() * config.inputSize();
      decoding.unnormalise(samples, config.inChannels(), hw);
      float[] decoded = decoder.decode(samples, count);
      ImageBatch images =
          new ImageBatch(
              decoding.uint8().toUint8(decoded, decoding.decoder()), count, decoder.height(),
              decoder.width(), ImageBatch.Layout.NCHW);
      return new Extracted(inception.extract(images), images);
    }

    @Override
    public void close() {
      try {
        inception.close();
      } finally {
        decoder.close();
      }
    }
  }
}
