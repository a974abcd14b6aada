package ai.igspark.train;

import ai.djl.ndarray.NDScope;
import ai.igspark.collective.Collective;
import ai.igspark.collective.LocalCollective;
import ai.igspark.collective.RingOptions;
import ai.igspark.collective.TcpRingCollective;
import ai.igspark.config.RunConfig;
import ai.igspark.spark.RankContext;
import java.io.IOException;
import java.time.Duration;

/**
 * The gradient synchronisation of one rank for one segment (docs/ARCHITECTURE.md §4.3): the
 * collective over the ranks (the TCP ring when W > 1) and a {@link GradientSync} that sums the
 * gradients over replicas and ranks, with the step's loss sums riding on the last bucket. One
 * replica on one rank needs neither. Closed before the checkpoint phase, so a slow writer cannot
 * trip a peer's step deadline (docs/RELIABILITY.md).
 */
final class SegmentSync implements AutoCloseable {
  /** Floats summed over ranks with the last bucket: Σ l_final, Σ l_inter, Σ l_cos. */
  private static final int LOSS_SUMS = 3;

  private final int rank;
  private final Collective ring;
  private final GradientSync sync;

  private SegmentSync(int rank, Collective ring, GradientSync sync) {
    this.rank = rank;
    this.ring = ring;
    this.sync = sync;
  }

  /** Connects the ring (W > 1) and plans the buckets of {@code replicas}' parameters. */
  static SegmentSync open(
      RankContext ctx, RunConfig cfg, ReplicaSet replicas, byte[] ringSecret) throws IOException {
    GradientBuckets buckets =
        GradientBuckets.plan(
            replicas.lead().step().parameterSizes(), cfg.cluster().ring().bucketFloats());
    int world = ctx.worldSize();
    Collective ring = collective(ctx, cfg, ringSecret);
    try {
      GradientSync sync =
          world > 1 || replicas.size() > 1
              ? new GradientSync(buckets, world > 1 ? ring : null, LOSS_SUMS)
              : null;
      return new SegmentSync(ctx.rank(), ring, sync);
    } catch (RuntimeException e) {
      ring.close();
      throw e;
    }
  }

  /**
   * Sums the gradients of step {@code step} over replicas and ranks into every replica, and
   * {@code lossSums} over ranks; returns the summed loss sums ({@code lossSums} itself when there
   * is nothing to sum with).
   */
  double[] sum(ReplicaSet replicas, double[] lossSums, long step)
      throws IOException, InterruptedException {
    if (sync == null) {
      return lossSums;
    }
    FaultInjection.beforeAllReduce(rank, step);
    try (NDScope scope = new NDScope()) {
      float[] total =
          sync.allReduce(
              replicas.gradients(),
              new float[] {(float) lossSums[0], (float) lossSums[1], (float) lossSums[2]});
      return new double[] {total[0], total[1], total[2]};
    }
  }

  @Override
  public void close() throws IOException {
    try {
      if (sync != null) {
        sync.close();
      }
    } finally {
      ring.close();
    }
  }

  private static Collective collective(RankContext ctx, RunConfig cfg, byte[] ringSecret)
      throws IOException {
    if (ctx.worldSize() == 1) {
      return new LocalCollective();
    }
    return TcpRingCollective.connect(
        ctx.rank(),
        ctx.peers(),
        ctx.listener(),
        new TcpRingCollective.Session(ctx.runId(), ctx.segment(), ctx.attemptNonce()),
        ringSecret,
        ringOptions(cfg.cluster()),
        ctx.cancelled());
  }

  /** The ring's settings from {@code cluster} and {@code cluster.ring}. */
  static RingOptions ringOptions(RunConfig.Cluster cluster) {
    RunConfig.Ring ring = cluster.ring();
    return RingOptions.defaults()
        .withBucketBytes(ring.bucketMib() << 20)
        .withWireDtype(ring.wire() == RunConfig.Wire.BF16
            ? RingOptions.WireDtype.BF16 : RingOptions.WireDtype.FP32)
        .withChannels(ring.lanes())
        .withStepDeadline(seconds(cluster.stepDeadlineSeconds()))
        .withCheckpointDeadline(seconds(cluster.checkpointDeadlineSeconds()));
  }

  private static Duration seconds(double s) {
    return Duration.ofMillis(Math.round(s * 1000));
  }
}
