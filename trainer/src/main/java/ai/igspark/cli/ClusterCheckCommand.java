package ai.igspark.cli;

import ai.igspark.metrics.MetricsJson;
import ai.igspark.spark.ClusterCheck;
import ai.igspark.spark.RankResult;
import ai.igspark.spark.SparkContexts;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import org.apache.spark.api.java.JavaSparkContext;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code igspark cluster-check}: a training segment's plumbing without the training. */
@Command(
    name = "cluster-check",
    mixinStandardHelpOptions = true,
    description = {
      "Check that Spark can run igspark on this cluster.",
      "Every rank joins the barrier rendezvous, sends a message to the next rank over its own socket, starts DJL's engine offline and streams a",
      "metric to the driver. With bin/igspark-submit it checks a cluster; with bin/igspark,",
      "local mode (one JVM, ranks as threads)."
    })
final class ClusterCheckCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = "--world-size", defaultValue = "1", description = "Ranks (executors).")
  int worldSize;

  @Option(names = "--cpu-replicas", defaultValue = "1",
      description = "CPU replicas per rank when it has no GPU.")
  int cpuReplicas;

  @Option(names = "--slot-wait-seconds", defaultValue = "120",
      description = "How long to wait for world-size executors before giving up.")
  long slotWaitSeconds;

  @Override
  public Integer call() throws Exception {
    SparkContexts.Builder builder =
        SparkContexts.builder().appName("igspark cluster-check").worldSize(worldSize);
    if (System.getProperty("spark.master") == null) {
      builder.master("local[" + worldSize + "]"); // bin/igspark: ranks as local threads
    }
    long start = System.nanoTime();
    try (JavaSparkContext sc = builder.start()) {
      var out = spec.commandLine().getOut();
      out.printf("Spark %s, master %s, context up in %d ms%n", sc.version(), sc.master(),
          (System.nanoTime() - start) / 1_000_000);
      long submitted = System.nanoTime();
      List<RankResult<ClusterCheck.RankReport>> results = ClusterCheck.run(sc, worldSize,
          cpuReplicas, Duration.ofSeconds(slotWaitSeconds),
          record -> out.printf("  metric from rank %d: %s%n", record.rank(),
              MetricsJson.line(record.record())));
      long millis = (System.nanoTime() - submitted) / 1_000_000;
      for (RankResult<ClusterCheck.RankReport> r : results) {
        ClusterCheck.RankReport report = r.value();
        out.printf("rank %d: host %s pid %d devices %s, %s (engine %d ms), heard rank %d,"
                + " allGather %d ms%n", r.rank(), r.host(), report.pid(), report.devices(),
            report.engine(), report.engineMillis(), report.previousRank(), r.allGatherMillis());
      }
      out.printf("cluster-check ok: %d ranks, submit to result %d ms%n", worldSize, millis);
      out.flush();
      return 0;
    }
  }
}
