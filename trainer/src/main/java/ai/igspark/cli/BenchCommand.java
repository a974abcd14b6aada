package ai.igspark.cli;

import ai.igspark.cli.bench.GradSyncBenchCommand;
import ai.igspark.cli.bench.MetricsBenchCommand;
import ai.igspark.cli.bench.OptimizerBenchCommand;
import ai.igspark.cli.bench.ReaderBenchCommand;
import ai.igspark.cli.bench.RingBenchCommand;
import ai.igspark.cli.bench.SamplingBenchCommand;
import ai.igspark.cli.bench.SegmentBenchCommand;
import ai.igspark.cli.bench.StepBenchCommand;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code igspark bench}: the benchmarks behind docs/BENCHMARKS.md. */
@Command(
    name = "bench",
    mixinStandardHelpOptions = true,
    description = "Benchmarks (figures are recorded in docs/BENCHMARKS.md).",
    subcommands = {
      ReaderBenchCommand.class,
      RingBenchCommand.class,
      MetricsBenchCommand.class,
      StepBenchCommand.class,
      SamplingBenchCommand.class,
      SegmentBenchCommand.class,
      GradSyncBenchCommand.class,
      OptimizerBenchCommand.class,
    })
final class BenchCommand implements Runnable {
  @Spec CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }
}
