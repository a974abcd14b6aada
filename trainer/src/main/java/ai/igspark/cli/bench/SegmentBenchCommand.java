package ai.igspark.cli.bench;

import ai.igspark.bench.SegmentBenchmark;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code igspark bench segment}: segment start (warm vs cold) and the collective's share. */
@Command(
    name = "segment",
    mixinStandardHelpOptions = true,
    description = {
      "Segment start overhead of a tiny local-mode run: warm cache (consecutive segments of one",
      "driver) against cold (a fresh driver JVM resuming from the checkpoint), from metrics.jsonl;",
      "then one W=2 ring all-reduce of a SiT-B/2-sized gradient against one SiT-B/2 training",
      "step (docs/benchmarks/segment.md). The all-reduce needs about 2 GB of direct memory:",
      "IGSPARK_JAVA_OPTS=\"-XX:MaxDirectMemorySize=8g\"."
    })
public final class SegmentBenchCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = "--preset", description = "Model of the tiny run (default: ${DEFAULT-VALUE}).")
  String preset = "sit-demo";

  @Option(names = "--batch", description = "Global batch (default: ${DEFAULT-VALUE}).")
  int batch = 8;

  @Option(names = "--segment-steps", description = "Steps per segment (default: ${DEFAULT-VALUE}).")
  long segmentSteps = 2;

  @Option(names = "--segments", description = "Segments of the first driver (default: "
      + "${DEFAULT-VALUE}).")
  int segments = 4;

  @Option(names = "--cold-runs",
      description = "Fresh drivers resuming (default: ${DEFAULT-VALUE}).")
  int coldRuns = 3;

  @Option(names = "--floats", description = "All-reduce size (default: ${DEFAULT-VALUE}, SiT-B/2).")
  long floats = 131_700_000L;

  @Option(names = "--ring-iters", description = "Timed all-reduces (default: ${DEFAULT-VALUE}).")
  int ringIters = 3;

  @Option(names = "--step-preset", description = "Model of the timed step (default: "
      + "${DEFAULT-VALUE}).")
  String stepPreset = "SiT-B/2";

  @Option(names = "--step-batch", description = "Batch of the timed step (default: "
      + "${DEFAULT-VALUE}).")
  int stepBatch = 2;

  @Option(names = "--step-threads", description = "Threads of the timed step (default: "
      + "${DEFAULT-VALUE}).")
  int stepThreads = 2;

  @Option(names = "--step-reps", description = "Timed steps (default: ${DEFAULT-VALUE}).")
  int stepReps = 3;

  @Option(names = "--skip-segments", description = "Only the collective's share.")
  boolean skipSegments;

  @Option(names = "--skip-collective", description = "Only the segment starts.")
  boolean skipCollective;

  @Option(names = "--work-dir", description = "Where the run is written (default: a new "
      + "temporary directory).")
  Path workDir;

  @Override
  public Integer call() throws Exception {
    if (batch < 1 || segmentSteps < 1 || segments < 2 || coldRuns < 1 || floats < 1
        || floats > Integer.MAX_VALUE || ringIters < 1 || stepBatch < 1 || stepThreads < 1
        || stepReps < 1) {
      throw new ParameterException(spec.commandLine(), "need positive sizes and counts,"
          + " --segments >= 2 (the second starts warm) and --floats <= 2^31-1");
    }
    if (!skipSegments) {
      Path dir = workDir != null ? workDir : Files.createTempDirectory("igspark-bench-segment");
      spec.commandLine().getOut().println(SegmentBenchmark.segmentStarts(
          new SegmentBenchmark.SegmentSettings(preset, batch, segmentSteps, segments, coldRuns,
              dir)).summary());
    }
    if (!skipCollective) {
      spec.commandLine().getOut().println(SegmentBenchmark.collectiveShare(
          new SegmentBenchmark.CollectiveSettings(floats, 2, ringIters, stepPreset, stepBatch,
              stepThreads, stepReps)).summary());
    }
    return 0;
  }
}
