package ai.igspark.cli.bench;

import ai.igspark.bench.OptimizerBenchmark;
import ai.igspark.model.ModelConfig;
import ai.igspark.model.ParameterShapes;
import ai.igspark.model.Presets;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code igspark bench optimizer}: clip + AdamW + EMA, flat against per-parameter. */
@Command(
    name = "optimizer",
    mixinStandardHelpOptions = true,
    description = {
      "The optimizer part of one training step (global-norm clip, AdamW, EMA) at",
      "a preset's real parameter shapes (synthetic values) on CPU: the flat code",
      "against the per-parameter code it replaced, in one run. Per group size two",
      "flat variants: 'flat' gathers separate tensors' gradients into each group,",
      "'flat params' stores the parameters flat as the trainer's model does (its",
      "gradients are one buffer per group). Prints seconds per step (wall and CPU),",
      "host reads per step and libtorch operators per step. Memory: 5 float32",
      "buffers of the parameters' size (20 bytes a parameter), 2 more during the",
      "'flat params' variants; --max-floats takes only the leading parameters."
    })
public final class OptimizerBenchCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = "--preset", description = "Model preset (default: ${DEFAULT-VALUE}).")
  String preset = "SiT-B/2";

  @Option(names = "--steps", description = "Timed steps per variant (default: ${DEFAULT-VALUE}).")
  int steps = 3;

  @Option(names = "--max-floats",
      description = "Only the leading parameters up to this many floats (default: all).")
  long maxFloats = Long.MAX_VALUE;

  @Option(names = "--group-floats", split = ",",
      description = "Floats per flat group, one flat variant each (default: 16777216, the"
          + " trainer's on a GPU, and 2097152, its choice on a CPU).")
  List<Long> groupFloats = new java.util.ArrayList<>(OptimizerBenchmark.DEFAULT_GROUP_FLOATS);

  @Option(names = "--no-per-parameter", negatable = false,
      description = "Flat variants only: the per-parameter step holds four temporaries of every"
          + " parameter until its end (SiT-XL/2: 10.8 GB more).")
  boolean flatOnly;

  @Override
  public Integer call() throws Exception {
    ModelConfig model = Presets.get(preset);
    PrintWriter out = spec.commandLine().getOut();
    Path scratch = Files.createTempDirectory("igspark-bench-optimizer");
    try {
      List<OptimizerBenchmark.Result> results =
          OptimizerBenchmark.run(model, maxFloats, steps, groupFloats, !flatOnly, scratch);
      OptimizerBenchmark.Result first = results.get(0);
      out.printf(Locale.ROOT, "%s: %d tensors, %d floats (of %d), %d timed steps%n",
          preset, first.parameters(), first.floats(), java.util.Arrays.stream(ParameterShapes.sizes(model)).sum(), steps);
      out.printf(Locale.ROOT, "%-14s %9s %9s %9s %11s %11s %11s %11s%n", "variant", "best s",
          "median s", "cpu s", "host reads", "read bytes", "native ops", "non-view");
      for (OptimizerBenchmark.Result r : results) {
        out.printf(Locale.ROOT, "%-14s %9.3f %9.3f %9.3f %11d %11d %11d %11d%n", r.variant(),
            r.timings().min(), r.timings().median(), r.timings().medianCpu(), r.hostReads(),
            r.hostReadBytes(), r.nativeOps(), r.kernelOps());
      }
      out.flush();
      return 0;
    } finally {
      Files.deleteIfExists(scratch);
    }
  }
}
