package ai.igspark.eval.job;

import ai.igspark.ckpt.RunDirectory;
import ai.igspark.config.RunConfig;
import ai.igspark.data.config.TypedConfig;
import ai.igspark.data.format.Normalization;
import ai.igspark.device.ComputeDevice;
import ai.igspark.eval.SampleGrid;
import ai.igspark.eval.SamplerSpec;
import ai.igspark.eval.SamplerSpecParser;
import ai.igspark.eval.TorchScriptDecoder;
import ai.igspark.eval.Uint8Convention;
import ai.igspark.metrics.GridRecord;
import ai.igspark.model.ModelConfig;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.OutputStream;
import java.time.Instant;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;

/**
 * The cheap in-training cadence {@code eval.grid_every_steps} (docs/evaluation.md, "Evaluation
 * during training"): {@value RunConfig.Eval#GRID_SAMPLES} EMA samples of a committed checkpoint,
 * 8 per row, written to {@code eval/grids/step-N.png} and logged as a {@code grid} record. Labels
 * are class-balanced (sample i has class i mod K) and the noise is {@code eval.seed}'s for
 * samples 0 to 63, so the grids of successive steps show the same draws and differ only by
 * training. Sampled on the driver's CPU: 64 samples need no cluster job, and it never competes
 * with the executors' next segment. Latent models are decoded by {@code eval.vae_decoder}.
 */
public final class FixedGrid {
  private static final int COLUMNS = 8;
  /** Latents decoded per decoder call, which bounds the decoder's activations on the driver. */
  private static final int DECODE_CHUNK = 8;

  private final RunConfig.Eval eval;
  private final String modelJson;
  private final ModelConfig model;
  private final Normalization normalization;
  private LatentDecoding decoding;

  public FixedGrid(RunConfig.Eval eval, String modelJson, Normalization normalization)
      throws IOException {
    this.eval = eval;
    this.modelJson = modelJson;
    this.model = ModelConfig.fromTree(TypedConfig.mapper().readTree(modelJson), "eval: model");
    this.normalization = normalization;
  }

  /** Whether the checkpoint committed at {@code step} gets a grid. */
  public boolean due(long step) {
    return eval.gridEverySteps() > 0 && step % eval.gridEverySteps() == 0;
  }

  /** Path of step {@code step}'s grid, relative to the run directory. */
  public static String relativePath(long step) {
    return String.format("eval/grids/step-%08d.png", step);
  }

  /** Samples, draws and writes the grid of the EMA weights at {@code emaUri}; its record. */
  public GridRecord write(RunDirectory dir, long step, String emaUri, Configuration conf)
      throws IOException {
    long t0 = System.nanoTime();
    int n = RunConfig.Eval.GRID_SAMPLES;
    float[] samples = balancedSamples(modelJson, emaUri, n, eval.seed(), eval.samplerSpec(), conf);
    BufferedImage image = eval.latent() ? decoded(samples, n) : pixels(samples, n);
    String relative = relativePath(step);
    try (OutputStream out = dir.fs().create(new Path(dir.root(), relative), true)) {
      SampleGrid.writePng(image, out);
    }
    return new GridRecord(
        step, relative, (System.nanoTime() - t0) / 1e9, null, Instant.now().toString());
  }

  /**
   * {@code n} samples of the weights at {@code emaUri} on this JVM's CPU with {@code sampling}'s
   * sampler and guidance but class-balanced labels (sample i has class i mod K), noise from
   * {@code seed}: the grids of the driver.
   */
  static float[] balancedSamples(String modelJson, String emaUri, int n, long seed,
      SamplerSpec sampling, Configuration conf) throws IOException {
    SamplerSpec balanced =
        SamplerSpecParser.from(sampling, SamplerSpecParser.CONFIG_NAMES)
            .labels(SamplerSpec.LabelMode.BALANCED)
            .build();
    return SampleEvaluationJob.sampleImages(
        new SampleEvaluationJob.Spec(modelJson, emaUri, n, seed, balanced, n, null,
            ComputeDevice.CPU),
        conf);
  }

  /** A pixel model's samples, [−1, 1], as they are. */
  private BufferedImage pixels(float[] samples, int n) {
    int size = model.inputSize();
    return SampleGrid.grid(samples, n, model.inChannels(), size, size, COLUMNS);
  }

  /** A latent model's samples, un-normalised and decoded, in chunks. */
  private BufferedImage decoded(float[] latents, int n) {
    int c = model.inChannels();
    int size = model.inputSize();
    int[] latentShape = {c, size, size};
    LatentDecoding d = decoding(latentShape);
    d.unnormalise(latents, c, size * size);
    int per = c * size * size;
    try (TorchScriptDecoder decoder =
        TorchScriptDecoder.load(d.localDecoder(), latentShape, d.decoder())) {
      int pixelsPer = 3 * decoder.height() * decoder.width();
      float[] images = new float[n * pixelsPer];
      for (int first = 0; first < n; first += DECODE_CHUNK) {
        int k = Math.min(DECODE_CHUNK, n - first);
        float[] chunk = java.util.Arrays.copyOfRange(latents, first * per, (first + k) * per);
        System.arraycopy(decoder.decode(chunk, k), 0, images, first * pixelsPer, k * pixelsPer);
      }
      return SampleGrid.grid(images, n, 3, decoder.height(), decoder.width(), COLUMNS);
    }
  }

  /** The decoder and Inception checked once, as the evaluation checks them. */
  private LatentDecoding decoding(int[] latentShape) {
    if (decoding == null) {
      decoding =
          LatentDecoding.check(
              java.nio.file.Path.of(eval.vaeDecoder()), java.nio.file.Path.of(eval.inception()),
              normalization, Uint8Convention.parse("eval.uint8", eval.uint8()), latentShape);
    }
    return decoding;
  }
}
