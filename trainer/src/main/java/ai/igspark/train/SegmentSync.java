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
  /**
   * Floats summed over ranks with the last bucket: Σ l_final, Σ l_inter, Σ l_cos, and the ranks'
   * stop votes ({@link StopRequest}).
   */
  private static final int CARRIED = 4;

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
              ? new GradientSync(buckets, world > 1 ? ring : null, CARRIED)
              : null;
      return new SegmentSync(ctx.rank(), ring, sync);
    } catch (RuntimeException e) {
      ring.close();
      throw e;
    }
  }

  /** What rides with a step's gradients: this rank's three loss sums, then its stop vote. */
  static double[] carried(double[] lossSums, double stopVote) {
    return new double[] {lossSums[0], lossSums[1], lossSums[2], stopVote};
  }

  /** Whether any rank voted to stop, in the summed {@link #carried} floats. */
  static boolean stopVoted(double[] summed) {
    return summed[3] > 0;
  }

  /**
   * Sums the gradients of step {@code step} over replicas and ranks into every replica, and
   * {@code carried} ({@link #carried}) over ranks; returns the sums ({@code carried} itself when
   * there is nothing to sum with).
   */
  double[] sum(ReplicaSet replicas, double[] carried, long step)
      throws IOException, InterruptedException {
    if (sync == null) {
      return carried;
    }
    FaultInjection.beforeAllReduce(rank, step);
    float[] own = new float[CARRIED];
    for (int i = 0; i < CARRIED; i++) {
      own[i] = (float) carried[i];
    }
    try (NDScope scope = new NDScope()) {
      float[] total = sync.allReduce(replicas.gradients(), own);
      double[] sums = new double[CARRIED];
      for (int i = 0; i < CARRIED; i++) {
        sums[i] = total[i];
      }
      return sums;
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
