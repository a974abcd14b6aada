package ai.igspark.cli.bench;

import ai.igspark.bench.StepBenchmark;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code igspark bench step}: igspark's training step against TorchScript and PyTorch eager. */
@Command(
    name = "step",
    mixinStandardHelpOptions = true,
    description = {
      "Time one IG training step (forward, backward, clip, AdamW) on CPU: igspark against the",
      "same weights traced to TorchScript and trained through DJL's libtorch, and against",
      "PyTorch eager in Debian's python3-torch, at each thread count (docs/benchmarks/step.md).",
      "Tracing and the eager figure need /usr/bin/python3 with torch (Debian: python3-torch)."
    })
public final class StepBenchCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = "--preset", description = "Model preset (default: ${DEFAULT-VALUE}).")
  String preset = "SiT-S/2";

  @Option(names = "--batch", description = "Samples per step (default: ${DEFAULT-VALUE}).")
  int batch = 4;

  @Option(names = "--threads", split = ",", description = "Intra-op thread counts (default: 1,2).")
  List<Integer> threads = List.of(1, 2);

  @Option(names = "--warmup",
      description = "Untimed steps per variant (default: ${DEFAULT-VALUE}).")
  int warmup = 1;

  @Option(names = "--reps", description = "Timed steps per variant (default: ${DEFAULT-VALUE}).")
  int reps = 5;

  @Option(names = "--python", description = "Python with torch (default: ${DEFAULT-VALUE}).")
  Path python = Path.of("/usr/bin/python3");

  @Option(names = "--no-python", description = "Skip PyTorch eager; needs --traced and --weights.")
  boolean noPython;

  @Option(names = "--traced", description = "Use this TorchScript file of --weights.")
  Path traced;

  @Option(names = "--weights", description = "igspark safetensors export (default: random).")
  Path weights;

  @Option(names = "--work-dir", description = "Where weights and the traced file are written "
      + "(default: a new temporary directory).")
  Path workDir;

  @Override
  public Integer call() throws Exception {
    if (batch < 1 || reps < 1 || warmup < 0 || threads.isEmpty()
        || threads.stream().anyMatch(t -> t < 1)) {
      throw new ParameterException(spec.commandLine(),
          "need --batch >= 1, --reps >= 1, --warmup >= 0 and thread counts >= 1");
    }
    if (noPython && (traced == null || weights == null)) {
      throw new ParameterException(spec.commandLine(), "--no-python needs --traced and --weights");
    }
    Path dir = workDir != null ? workDir : Files.createTempDirectory("igspark-bench-step");
    StepBenchmark.Result r = StepBenchmark.run(new StepBenchmark.Settings(
        preset, batch, threads, warmup, reps, noPython ? null : python, traced, weights, dir));
    spec.commandLine().getOut().println(r.summary());
    return 0;
  }
}
