package ai.igspark.cli;

import ai.djl.Device;
import ai.djl.ndarray.types.Shape;
import ai.igspark.data.InvalidInputException;
import ai.igspark.diffusion.LabelPlan;
import ai.igspark.diffusion.Sampler;
import ai.igspark.diffusion.SamplingPlan;
import ai.igspark.eval.CheckpointSampler;
import ai.igspark.eval.SampleGrid;
import ai.igspark.eval.SamplerSpec;
import ai.igspark.eval.SamplerSpec.Interval;
import ai.igspark.eval.SamplerSpec.LabelMode;
import ai.igspark.model.ModelCheckpoints;
import ai.igspark.model.ModelConfig;
import ai.igspark.tensorfile.DType;
import ai.igspark.tensorfile.HostTensor;
import ai.igspark.tensorfile.Npy;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code igspark sample}: samples from a checkpoint with IG and/or CFG, on one machine. */
@Command(
    name = "sample",
    mixinStandardHelpOptions = true,
    description = {
      "Sample from a checkpoint with IG and/or CFG.",
      "Reads .pt (as torch.save writes it) or .safetensors weights, or the EMA weights of a run's",
      "committed checkpoint (--run, verified against its manifest), and samples with Internal",
      "Guidance and/or classifier-free guidance. Writes the final latents as .npy and, for",
      "pixel-space models, a PNG grid. Defaults follow the paper's SiT recipe (SDE, 250 steps,",
      "IG 1.4 at all t)."
    },
    sortOptions = false)
final class SampleCommand implements Callable<Integer> {
  /** Sampling defaults: SiT's SDE with 250 steps and IG at 1.4 (docs/METHOD.md §3.4). */
  private static final SamplerSpec DEFAULTS =
      new SamplerSpec(
          Sampler.SDE_EM, 250, 1.0, 1.4f, Interval.ALL, 1f, new Interval(0f, 0.7f),
          LabelMode.RANDOM);

  @Spec CommandSpec spec;

  @Mixin CheckpointOptions source;

  @Option(names = "--noise", description = "Initial noise, float32 .npy [N,C,H,W].")
  Path noise;

  @Option(names = "--seed", defaultValue = "0", description = "Seed of noise and random labels.")
  long seed;

  @Option(names = "--num-samples", defaultValue = "16", description = "Number of samples.")
  int numSamples;

  @Option(names = "--labels", description = "Class labels, int64 or int32 .npy [N].")
  Path labels;

  @Option(names = "--balanced", description = "Class-balanced labels (sample i gets i mod K).")
  boolean balanced;

  @Mixin SamplerOptions sampling;

  @Option(names = "--batch-size", paramLabel = "N",
      description = "Samples per model call (default: ${DEFAULT-VALUE}, that of evaluate"
          + " --checkpoint and in-training evaluation: a model call's last bits can depend on its"
          + " batch, so only at the same batch size are the samples bitwise theirs).")
  int batchSize = CheckpointSampler.BATCH;

  @Option(names = "--output", description = "Final latents, float32 .npy [N,C,H,W].")
  Path output;

  @Option(names = "--grid", description = "PNG grid of the samples (pixel-space models).")
  Path grid;

  @Mixin DeviceOption device;

  @Override
  public Integer call() {
    Path[] inputs = {source.file, source.modelConfigFile, noise, labels};
    OutputGuard.check("--output", output, inputs);
    OutputGuard.check("--grid", grid, inputs);
    Device on = device.resolve();
    Path checkpoint = source.weights();
    ModelConfig config = source.modelConfig(checkpoint);
    var state = ModelCheckpoints.load(checkpoint);
    SamplingPlan plan =
        sampling.spec(DEFAULTS, balanced ? LabelMode.BALANCED : LabelMode.RANDOM).plan();
    if (batchSize < 1) {
      throw new InvalidInputException("--batch-size: " + batchSize + ", expected >= 1");
    }
    Shape sampleShape = new Shape(config.inChannels(), config.inputSize(), config.inputSize());
    float[] initial = noise == null ? null : readNoise(sampleShape);
    int n = initial != null ? initial.length / Math.toIntExact(sampleShape.size()) : numSamples;
    if (n < 1) {
      throw new InvalidInputException("--num-samples: " + n + ", expected >= 1");
    }
    long[] y = labelPlan(config, n).labels(0, n);
    PrintWriter console = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    float[] out;
    try (CheckpointSampler sampler = new CheckpointSampler(config, state, checkpoint.toString(), on)) {
      out =
          sampler.sample(
              plan, seed, 0, y, initial, batchSize,
              done -> err.printf("igspark sample: %d/%d%n", done, n));
    }
    long[] shape = new long[] {n, sampleShape.get(0), sampleShape.get(1), sampleShape.get(2)};
    if (output != null) {
      Npy.write(output, HostTensor.ofFloats(shape, out));
      console.println("wrote " + output);
    }
    if (grid != null) {
      int columns = (int) Math.ceil(Math.sqrt(n));
      SampleGrid.writePng(
          SampleGrid.grid(
              out, n, config.inChannels(), config.inputSize(), config.inputSize(), columns),
          grid);
      console.println("wrote " + grid);
    }
    if (output == null && grid == null) {
      throw new InvalidInputException("nothing to write: give --output FILE.npy and/or --grid");
    }
    return 0;
  }

  private float[] readNoise(Shape sampleShape) {
    HostTensor t = Npy.read(noise);
    long[] s = t.shape();
    if (t.dtype() != DType.F32
        || s.length != 4
        || s[1] != sampleShape.get(0)
        || s[2] != sampleShape.get(1)
        || s[3] != sampleShape.get(2)) {
      throw new InvalidInputException(
          noise + ": expected float32 [N, " + sampleShape.get(0) + ", " + sampleShape.get(1)
              + ", " + sampleShape.get(2) + "], got " + t.dtype() + Arrays.toString(s));
    }
    return t.toFloats();
  }

  private LabelPlan labelPlan(ModelConfig config, int n) {
    if (labels != null) {
      if (balanced) {
        throw new InvalidInputException("--labels and --balanced exclude each other");
      }
      HostTensor t = Npy.read(labels);
      if ((t.dtype() != DType.I64 && t.dtype() != DType.I32) || t.shape().length != 1) {
        throw new InvalidInputException(
            labels + ": expected int64 or int32 [N], got " + t.dtype()
                + Arrays.toString(t.shape()));
      }
      if (t.shape()[0] != n) {
        throw new InvalidInputException(
            labels + ": " + t.shape()[0] + " labels for " + n + " samples");
      }
      long[] values = t.toLongs();
      for (long v : values) {
        if (v < 0 || v > config.numClasses()) {
          throw new InvalidInputException(
              labels + ": label " + v + " outside [0, " + config.numClasses() + "] ("
                  + config.numClasses() + " is the null class)");
        }
      }
      return LabelPlan.given(values, config.numClasses() + 1);
    }
    return balanced
        ? LabelPlan.balanced(config.numClasses(), n)
        : LabelPlan.random(config.numClasses(), seed);
  }
}
