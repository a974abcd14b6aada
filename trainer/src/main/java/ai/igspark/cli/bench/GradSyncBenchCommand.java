package ai.igspark.cli.bench;

import ai.igspark.bench.GradSyncBenchmark;
import ai.igspark.model.ModelConfig;
import ai.igspark.model.Presets;
import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code igspark bench grad-sync}: one step's gradient synchronisation at real shapes. */
@Command(
    name = "grad-sync",
    mixinStandardHelpOptions = true,
    description = {
      "Gradient synchronisation of one training step at a preset's real parameter shapes",
      "(synthetic values): W ranks as threads over a loopback TCP ring, G CPU replicas each.",
      "Prints time per step, host bytes copied per step and rank, and host staging memory, for",
      "the bucketed path and (--baseline, when the gradient fits one Java buffer) the host path",
      "it replaced. SiT-XL/2 at W=2, G=2 needs about 11 GB of memory."
    })
public final class GradSyncBenchCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = "--preset", description = "Model preset (default: ${DEFAULT-VALUE}).")
  String preset = "SiT-XL/2";

  @Option(names = "--world", description = "Ranks (default: ${DEFAULT-VALUE}).")
  int world = 2;

  @Option(names = "--replicas", description = "Replicas per rank (default: ${DEFAULT-VALUE}).")
  int replicas = 2;

  @Option(names = "--bucket-mib", description = "Bucket size in MiB (default: ${DEFAULT-VALUE}).")
  int bucketMib = 32;

  @Option(names = "--steps", description = "Timed steps (default: ${DEFAULT-VALUE}).")
  int steps = 3;

  @Option(names = "--baseline", description = "Also time the replaced host path.")
  boolean baseline;

  @Override
  public Integer call() throws Exception {
    ModelConfig model = Presets.get(preset);
    PrintWriter out = spec.commandLine().getOut();
    out.printf(Locale.ROOT, "%s, W=%d, G=%d, buckets of %d MiB, %d timed steps%n",
        preset, world, replicas, bucketMib, steps);
    out.printf(Locale.ROOT, "%-9s %9s %9s %16s %14s%n",
        "path", "best s", "median s", "host MB/step", "staging MB");
    List<GradSyncBenchmark.Result> results =
        GradSyncBenchmark.run(model, world, replicas, bucketMib, steps, baseline);
    for (GradSyncBenchmark.Result r : results) {
      out.printf(Locale.ROOT, "%-9s %9.3f %9.3f %16.1f %14.1f%n", r.path(), r.best(), r.median(),
          r.hostBytesPerStep() / 1e6, r.stagingBytes() / 1e6);
    }
    var p = results.get(0).phasesPerStep();
    out.printf(Locale.ROOT,
        "bucketed phases per step (rank 0, mean): local reduce %.3f s, device->host %.3f s,"
            + " ring wait %.3f s, host->device + replicas %.3f s%n",
        p.localReduce(), p.toHost(), p.ringWait(), p.toReplicas());
    if (baseline && results.size() == 1) {
      out.println("host path: not run, the gradient exceeds one Java buffer (2 GiB)");
    }
    out.flush();
    return 0;
  }
}
