package ai.igspark.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.igspark.config.RunConfig;
import ai.igspark.diffusion.Sampler;
import ai.igspark.eval.CheckpointSampler;
import ai.igspark.eval.SamplerSpec;
import ai.igspark.eval.SamplerSpec.Interval;
import ai.igspark.eval.SamplerSpec.LabelMode;
import ai.igspark.eval.job.CheckpointEvaluation;
import ai.igspark.eval.job.SampleEvaluationJob;
import ai.igspark.model.IgDiT;
import ai.igspark.model.ModelCheckpoints;
import ai.igspark.model.ModelConfig;
import ai.igspark.spark.SparkContexts;
import ai.igspark.tensorfile.DType;
import ai.igspark.tensorfile.HostTensor;
import ai.igspark.tensorfile.Npy;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One sampler spec gives the same samples, bit for bit, through {@code igspark sample}, {@code
 * igspark evaluate --checkpoint} and in-training evaluation (issue 14 item 1): all three sample
 * with {@link CheckpointSampler} and keyed noise, so neither batch sizes nor Spark partitions
 * change a sample.
 */
class SamplingPathsTest {
  /** More than one evaluation block (100 samples), so blocks and partitions are crossed. */
  private static final int N = 130;
  private static final long SEED = 11;
  /** Nothing at its default: heun2, 6 steps, shift 0.3, IG and CFG each on an interval. */
  private static final SamplerSpec SPEC =
      new SamplerSpec(Sampler.ODE_HEUN2, 6, 0.3, 1.5f, new Interval(0.2f, 1f), 1.3f,
          new Interval(0f, 0.7f), LabelMode.BALANCED);
  private static final String[] SPEC_OPTIONS = {"--seed", "11", "--num-samples", "130",
      "--sampler", "ode-heun2", "--steps", "6", "--timestep-shift", "0.3", "--ig-scale", "1.5",
      "--ig-interval", "0.2,1", "--cfg-scale", "1.3", "--cfg-interval", "0:0.7"};

  @TempDir Path dir;

  /** The pixel model with every weight moved off its (partly zero) initialisation. */
  private Path weights() throws Exception {
    ModelConfig config = EvaluateCheckpointTest.pixelModel();
    SplittableRandom rng = new SplittableRandom(5);
    Map<String, HostTensor> state = new LinkedHashMap<>();
    try (NDManager m = NDManager.newBaseManager();
        IgDiT model = IgDiT.create(config, m, 3)) {
      model.hostStateDict().forEach((name, t) -> {
        float[] v = t.toFloats();
        for (int i = 0; i < v.length; i++) {
          v[i] += (float) (0.05 * rng.nextGaussian());
        }
        state.put(name, t.dtype() == DType.F32 ? HostTensor.ofFloats(t.shape(), v) : t);
      });
    }
    Path file = dir.resolve("ema.safetensors");
    try (OutputStream out = Files.newOutputStream(file)) {
      ModelCheckpoints.exportSafetensors(config, state, out);
    }
    return file;
  }

  private static String[] with(String[] options, String... args) {
    String[] all = Arrays.copyOf(args, args.length + options.length);
    System.arraycopy(options, 0, all, args.length, options.length);
    return all;
  }

  private static float[] read(Path npy) {
    return Npy.read(npy).toFloats();
  }

  /** Path (c): what {@code eval:} of a run config makes the in-training evaluation sample. */
  private float[] inTraining(Path weights, Path reference) throws Exception {
    Path yaml = dir.resolve("run.yaml");
    Files.writeString(yaml, """
        run: {dir: runs/x}
        data: {manifest: data/d/dataset.json}
        model: {preset: sit-demo}
        train: {steps: 100}
        eval: {every_steps: 1, num_samples: 130, seed: 11, reference: "%s", sampler: ode-heun2,
          sampling_steps: 6, timestep_shift: 0.3, ig_scale: 1.5, ig_interval: [0.2, 1.0],
          cfg_scale: 1.3, cfg_interval: [0.0, 0.7], balanced: true}
        """.formatted(reference));
    RunConfig.Eval eval = RunConfig.load(yaml).eval();
    assertEquals(SPEC, eval.samplerSpec());
    String modelJson =
        new ObjectMapper().writeValueAsString(EvaluateCheckpointTest.pixelModel().toMap());
    CheckpointEvaluation evaluation = new CheckpointEvaluation(eval, modelJson);
    try (JavaSparkContext sc =
        SparkContexts.builder().master("local[2]").uiEnabled(false).start()) {
      return SampleEvaluationJob.run(sc, evaluation.spec(weights.toString(), null), true)
          .samples();
    }
  }

  @Test
  void sampleEvaluateAndInTrainingEvaluationDrawTheSameSamples() throws Exception {
    Path weights = weights();
    Path reference = EvaluateCheckpointTest.realImages(dir);
    Path a = dir.resolve("sample.npy");
    CliRun sample = CliRun.of(with(SPEC_OPTIONS, "sample", "--checkpoint", weights.toString(),
        "--balanced", "--output", a.toString()));
    assertEquals(0, sample.code(), sample.err());
    Path b = dir.resolve("evaluate.npy");
    CliRun evaluate = CliRun.of(with(SPEC_OPTIONS, "evaluate", "--checkpoint",
        weights.toString(), "--reference", reference.toString(), "--save-samples", b.toString()));
    assertEquals(0, evaluate.code(), evaluate.err());
    float[] c = inTraining(weights, reference);

    float[] fromSample = read(a);
    assertEquals(N * 32 * 32, fromSample.length);
    for (float v : fromSample) {
      assertTrue(Float.isFinite(v), "a sample is not finite");
    }
    assertArrayEquals(fromSample, read(b), "sample vs evaluate --checkpoint");
    assertArrayEquals(fromSample, c, "sample vs in-training evaluation");
  }

  @Test
  void everySettingOfTheSpecChangesTheSamples() throws Exception {
    // Without this the equality above could hold for a path that ignored a setting.
    List<SamplerSpec> others = List.of(
        new SamplerSpec(Sampler.ODE_HEUN, 6, 0.3, 1.5f, new Interval(0.2f, 1f), 1.3f,
            new Interval(0f, 0.7f), LabelMode.BALANCED),
        new SamplerSpec(Sampler.ODE_HEUN2, 5, 0.3, 1.5f, new Interval(0.2f, 1f), 1.3f,
            new Interval(0f, 0.7f), LabelMode.BALANCED),
        new SamplerSpec(Sampler.ODE_HEUN2, 6, 1.0, 1.5f, new Interval(0.2f, 1f), 1.3f,
            new Interval(0f, 0.7f), LabelMode.BALANCED),
        new SamplerSpec(Sampler.ODE_HEUN2, 6, 0.3, 1.0f, new Interval(0.2f, 1f), 1.3f,
            new Interval(0f, 0.7f), LabelMode.BALANCED),
        new SamplerSpec(Sampler.ODE_HEUN2, 6, 0.3, 1.5f, Interval.ALL, 1.3f,
            new Interval(0f, 0.7f), LabelMode.BALANCED),
        new SamplerSpec(Sampler.ODE_HEUN2, 6, 0.3, 1.5f, new Interval(0.2f, 1f), 1.0f,
            new Interval(0f, 0.7f), LabelMode.BALANCED),
        new SamplerSpec(Sampler.ODE_HEUN2, 6, 0.3, 1.5f, new Interval(0.2f, 1f), 1.3f,
            Interval.ALL, LabelMode.BALANCED));
    Path weights = weights();
    ModelConfig config = EvaluateCheckpointTest.pixelModel();
    try (CheckpointSampler sampler =
        new CheckpointSampler(config, ModelCheckpoints.load(weights), weights.toString())) {
      long[] labels = SPEC.labelPlan(config.numClasses(), 20, SEED).labels(0, 20);
      float[] base = sampler.sample(SPEC.plan(), SEED, 0, labels, null, 20, null);
      for (SamplerSpec other : others) {
        float[] changed = sampler.sample(other.plan(), SEED, 0, labels, null, 20, null);
        assertFalse(Arrays.equals(base, changed), other + " gives the samples of " + SPEC);
      }
    }
  }
}
