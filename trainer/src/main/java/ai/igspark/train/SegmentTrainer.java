package ai.igspark.train;

import ai.igspark.ckpt.CheckpointWriter;
import ai.igspark.ckpt.FileEntry;
import ai.igspark.config.RunConfig;
import ai.igspark.data.LoopbackOnly;
import ai.igspark.data.config.TypedConfig;
import ai.igspark.data.ingest.HadoopConfiguration;
import ai.igspark.model.ModelConfig;
import ai.igspark.spark.RankContext;
import ai.igspark.spark.RankTask;
import java.io.IOException;
import java.net.URI;
import org.apache.hadoop.conf.Configuration;

/**
 * One rank's part of a training segment (docs/ARCHITECTURE.md §4): load or reuse the replicas
 * ({@link ReplicaSet}), then for each step gather this rank's slice of the global batch and
 * compute gradients on every replica ({@link RankBatches}, {@link KeyedLossDraws}), sum them over
 * replicas and ranks ({@link SegmentSync}), apply the same update on every replica, skip
 * non-finite steps ({@link SkipPolicy}) and stream the step's record ({@link StepReporter}); at
 * the end rank 0 writes the checkpoint files into the attempt directory. A preempted driver
 * ({@link StopRequest}) ends the segment early, at a step every rank agrees on, checkpointed.
 *
 * <p>Every random draw is keyed by (seed, epoch, sample index), never by rank or order, so a
 * step's result depends only on the global batch: runs with different world sizes agree up to
 * summation order, and a resumed run is bitwise equal to an uninterrupted one.
 */
public final class SegmentTrainer implements RankTask<SegmentReport> {
  private static final long serialVersionUID = 1L;

  private final String runYaml;
  private final String modelJson;
  private final long startStep;
  private final long endStep;
  private final String resumeFrom;
  private final String attemptUri;
  private final HadoopConfiguration hadoop;
  private final byte[] ringSecret;
  private final String applicationId;

  /**
   * @param runYaml the resolved run config (YAML)
   * @param modelJson the resolved model config (JSON)
   * @param startStep the committed step this segment starts from
   * @param endStep the step it trains to
   * @param resumeFrom the committed checkpoint directory of {@code startStep}, or null to start
   *     from the initialisation (step 0)
   * @param attemptUri the attempt directory rank 0 writes the checkpoint into
   * @param ringSecret the application's secret that authenticates ring peers
   * @param applicationId names the executor-local shard cache
   */
  public SegmentTrainer(
      String runYaml,
      String modelJson,
      long startStep,
      long endStep,
      String resumeFrom,
      String attemptUri,
      HadoopConfiguration hadoop,
      byte[] ringSecret,
      String applicationId) {
    this.runYaml = runYaml;
    this.modelJson = modelJson;
    this.startStep = startStep;
    this.endStep = endStep;
    this.resumeFrom = resumeFrom;
    this.attemptUri = attemptUri;
    this.hadoop = hadoop;
    this.ringSecret = ringSecret.clone();
    this.applicationId = applicationId;
  }

  @Override
  public SegmentReport run(RankContext ctx) throws Exception {
    LoopbackOnly.apply();
    long t0 = System.nanoTime();
    FaultInjection.atSegmentStart(ctx.rank());
    RunConfig cfg = RunConfig.fromTree(TypedConfig.mapper().readTree(runYaml), "run.yaml");
    ModelConfig modelConfig =
        ModelConfig.fromTree(TypedConfig.mapper().readTree(modelJson), "run.yaml: model");
    // Before any replica touches a device: libtorch checks, visible GPUs, cuDNN benchmark flag.
    CudaSettings.apply(cfg.gpu(), ctx.devices());
    Configuration conf = hadoop.get();
    RankBatches batches = RankBatches.open(cfg, ctx.rank(), ctx.worldSize(), conf, applicationId,
        resumeFrom);
    ReplicaSet replicas = ReplicaSet.takeOrLoad(ctx, cfg, modelConfig, startStep, resumeFrom, conf);
    long startMillis = (System.nanoTime() - t0) / 1_000_000;

    long trainStart = System.nanoTime();
    SkipPolicy skips = new SkipPolicy(cfg.train().maxConsecutiveSkips());
    StepReporter reporter = new StepReporter(
        ctx.rank() == 0 ? ctx.metrics() : null, batches::epochsAt, batches.globalBatch());
    long diverged = -1;
    long step = startStep;
    boolean done = false;
    StopRequest stop = StopRequest.in(attemptUri, conf);
    try (SegmentSync sync = SegmentSync.open(ctx, cfg, replicas, ringSecret);
        ReplicaThreads threads = ReplicaThreads.forReplicas(replicas.size())) {
      while (step < endStep) {
        long stepStart = System.nanoTime();
        batches.accumulate(step, replicas, threads);
        // Loss sums stay on the devices between log steps; every rank agrees which steps those
        // are, so the sums ride with the gradients there and are zeros otherwise. The stop
        // votes ride with them too: every rank sees the same total and stops after this step.
        boolean logStep = (step + 1) % cfg.train().logEvery() == 0 || step + 1 == endStep;
        double[] carried = SegmentSync.carried(replicas.lossSums(logStep), stop.vote());
        double[] sums = sync.sum(replicas, carried, step);
        UpdateResult update = replicas.applyUpdate(threads); // one host read: the norm
        if (skips.diverged(update.applied())) {
          diverged = step;
          break;
        }
        reporter.report(step, logStep ? sums : null, update, stepStart, skips.skipped());
        step++;
        if (SegmentSync.stopVoted(sums)) {
          break; // preempted: this segment ends, and is checkpointed, at this step
        }
      }
      done = true;
    } finally {
      if (!done) {
        replicas.close();
      }
    }
    long trainMillis = (System.nanoTime() - trainStart) / 1_000_000;

    FileEntry[] files = new FileEntry[0];
    if (diverged < 0) {
      files = checkpoint(ctx, conf, replicas, step);
    } else {
      replicas.close();
    }
    return new SegmentReport(ctx.rank(), step, files, skips.skipped(), diverged, replicas.warm(),
        startMillis, trainMillis);
  }

  /**
   * Rank 0 writes the checkpoint files into the attempt directory; then every rank hands its
   * replicas to the warm cache for the next segment. The ring is closed by now: the checkpoint
   * phase makes no collective calls, so a slow writer cannot trip a peer's step deadline
   * (docs/RELIABILITY.md).
   */
  private FileEntry[] checkpoint(
      RankContext ctx, Configuration conf, ReplicaSet replicas, long reached)
      throws IOException, InterruptedException {
    FileEntry[] files = new FileEntry[0];
    if (ctx.rank() == 0) {
      try {
        FaultInjection.beforeCheckpoint(ctx.rank());
        CheckpointWriter writer = CheckpointWriter.open(URI.create(attemptUri), conf);
        files = replicas.lead().save(writer).toArray(new FileEntry[0]);
      } catch (IOException | InterruptedException | RuntimeException | Error e) {
        replicas.close();
        throw e;
      }
    }
    replicas.keep(ctx.runId(), reached);
    return files;
  }
}
