package ai.igspark.spark;

import ai.djl.engine.Engine;
import ai.igspark.data.LoopbackOnly;
import ai.igspark.device.ComputeDevice;
import ai.igspark.device.LibtorchDirectory;
import ai.igspark.metrics.ProbeRecord;
import ai.igspark.metrics.ReceivedRecord;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.function.Consumer;
import org.apache.spark.api.java.JavaSparkContext;

/**
 * A training segment without the training: every rank does the rendezvous, sends one line to the
 * next rank over the ring's sockets, starts DJL's engine offline and streams a metric to the
 * driver. Run it ({@code igspark cluster-check}) to see that a cluster can run igspark before
 * spending a night on it.
 */
public final class ClusterCheck {
  private ClusterCheck() {}

  /**
   * What one rank found.
   *
   * @param rank the rank
   * @param pid its executor JVM's process id
   * @param devices the devices it would train on
   * @param engine the DJL engine and version it started
   * @param engineMillis how long the engine took to start
   * @param previousRank the rank whose message arrived on this rank's listener
   */
  public record RankReport(
      int rank, long pid, String devices, String engine, long engineMillis, int previousRank) {}

  /** Runs the check on {@code worldSize} ranks and returns their reports ordered by rank. */
  public static List<RankResult<RankReport>> run(JavaSparkContext sc, int worldSize,
      int cpuReplicas, Duration slotWait, Consumer<ReceivedRecord> metrics) throws IOException {
    return SegmentJob.builder(sc)
        .runId("cluster-check")
        .worldSize(worldSize)
        .cpuReplicas(cpuReplicas)
        .slotWait(slotWait)
        .metricsListener(metrics)
        .build()
        .run(ClusterCheck::probe);
  }

  static RankReport probe(RankContext context) throws IOException {
    int previous = (context.rank() + context.worldSize() - 1) % context.worldSize();
    int next = (context.rank() + 1) % context.worldSize();
    try (SocketChannel out = SocketChannel.open(context.peers().get(next))) {
      out.write(StandardCharsets.UTF_8.encode(
          context.attemptNonce() + " " + context.rank() + "\n"));
      try (SocketChannel in = context.listener().accept()) {
        String line = new BufferedReader(new InputStreamReader(Channels.newInputStream(in),
            StandardCharsets.UTF_8)).readLine();
        if (!(context.attemptNonce() + " " + previous).equals(line)) {
          throw new IllegalStateException("rank " + context.rank() + " expected rank " + previous
              + " of attempt " + context.attemptNonce() + ", got '" + line + "'");
        }
      }
    }
    LoopbackOnly.apply();
    LibtorchDirectory.checkThisJvm();
    long start = System.nanoTime();
    Engine engine = Engine.getEngine("PyTorch");
    long engineMillis = (System.nanoTime() - start) / 1_000_000;
    // The GPUs Spark assigned must exist in this JVM, or training would fail at its first step.
    ComputeDevice.requireVisible("rank " + context.rank() + "'s devices "
        + context.devices().stream().map(ComputeDevice::name).toList(), context.devices());
    context.metrics().publish(new ProbeRecord(context.rank(), engineMillis));
    return new RankReport(context.rank(), ProcessHandle.current().pid(),
        context.devices().toString(), engine.getEngineName() + " " + engine.getVersion(),
        engineMillis, previous);
  }
}
