package ai.igspark.cli.bench;

import ai.igspark.bench.SamplingBenchmark;
import ai.igspark.diffusion.Sampler;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code igspark bench sampling}: guided sampling cost relative to unguided. */
@Command(
    name = "sampling",
    mixinStandardHelpOptions = true,
    description = {
      "Time sampling one batch unguided, with IG, with CFG and with IG+CFG (both intervals",
      "covering every step) at the same number of steps, per preset (docs/benchmarks/sampling.md)."
    })
public final class SamplingBenchCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = "--preset", split = ",", description = "Model presets (default: sit-demo).")
  List<String> presets = List.of("sit-demo");

  @Option(names = "--sampler", description = "ode-euler, ode-heun, ode-heun2 or sde-em "
      + "(default: ${DEFAULT-VALUE}).")
  String sampler = "sde-em";

  @Option(names = "--steps", description = "Sampling steps (default: ${DEFAULT-VALUE}).")
  int steps = 50;

  @Option(names = "--samples", description = "Samples per batch (default: ${DEFAULT-VALUE}).")
  int samples = 16;

  @Option(names = "--threads", description = "Intra-op threads (default: ${DEFAULT-VALUE}).")
  int threads = 1;

  @Option(names = "--warmup", description = "Untimed rounds (default: ${DEFAULT-VALUE}).")
  int warmup = 1;

  @Option(names = "--reps", description = "Timed rounds (default: ${DEFAULT-VALUE}).")
  int reps = 5;

  @Override
  public Integer call() {
    if (steps < 1 || samples < 1 || threads < 1 || warmup < 0 || reps < 1) {
      throw new ParameterException(spec.commandLine(),
          "need --steps, --samples, --threads, --reps >= 1 and --warmup >= 0");
    }
    Sampler s = Sampler.parse("--sampler", sampler);
    for (String preset : presets) {
      SamplingBenchmark.Result r = SamplingBenchmark.run(
          new SamplingBenchmark.Settings(preset, s, steps, samples, threads, warmup, reps));
      spec.commandLine().getOut().println(r.summary());
    }
    return 0;
  }
}
