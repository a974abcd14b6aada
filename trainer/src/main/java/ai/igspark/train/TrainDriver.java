package ai.igspark.train;

import ai.igspark.ckpt.Checkpoint;
import ai.igspark.ckpt.CheckpointIntegrityException;
import ai.igspark.ckpt.CheckpointStore;
import ai.igspark.ckpt.DataPosition;
import ai.igspark.ckpt.FileEntry;
import ai.igspark.ckpt.MetricsLog;
import ai.igspark.ckpt.RunDirectory;
import ai.igspark.ckpt.RunLock;
import ai.igspark.ckpt.RunStart;
import ai.igspark.config.RunConfig;
import ai.igspark.data.InvalidInputException;
import ai.igspark.data.format.DatasetManifest;
import ai.igspark.data.ingest.HadoopConfiguration;
import ai.igspark.eval.job.CheckpointEvaluation;
import ai.igspark.eval.job.FixedGrid;
import ai.igspark.metrics.EvalRecord;
import ai.igspark.metrics.GridRecord;
import ai.igspark.metrics.RetryRecord;
import ai.igspark.metrics.SegmentRecord;
import ai.igspark.metrics.tensorboard.TensorBoardMetrics;
import ai.igspark.model.ModelConfig;
import ai.igspark.spark.NotEnoughSlotsException;
import ai.igspark.spark.RankResult;
import ai.igspark.spark.SegmentJob;
import ai.igspark.spark.SparkContexts;
import ai.igspark.spark.metrics.TrainingMetricsPlugin;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.function.Supplier;
import org.apache.hadoop.fs.FSError;
import org.apache.spark.api.java.JavaSparkContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The driver loop of docs/ARCHITECTURE.md §4.1: after the {@link Preflight} checks, segments of K
 * steps run as barrier jobs ({@link SegmentTrainer} on every rank), each ending in a checkpoint
 * the driver commits (MANIFEST last, then LATEST). A failed segment is retried from the last
 * committed checkpoint ({@link RetryPolicy}); too few task slots may shrink the world size
 * ({@link WorldSizeFallback}). The same command started again resumes from LATEST. Between two
 * segments is where the run can stop cleanly: the last one is committed, the next not submitted.
 */
public final class TrainDriver {
  private static final Logger LOG = LoggerFactory.getLogger(TrainDriver.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  /** What a finished run reports. */
  public record Outcome(
      String runDir, long step, long totalSteps, int segments, int retries, boolean preempted) {}

  private final RunConfig config;
  private final String source;
  private final ModelConfig modelConfig;
  private final Collection<String> allowedChanges;
  private final PrintStream console;
  private Supplier<byte[]> ringSecrets = TrainDriver::newRingSecret;

  public TrainDriver(
      RunConfig config, String source, Collection<String> allowedChanges, PrintStream console) {
    this.config = config;
    this.source = source;
    this.modelConfig = ModelConfig.fromTree(config.model(), source + ": model");
    this.allowedChanges = allowedChanges;
    this.console = console;
  }

  public ModelConfig modelConfig() {
    return modelConfig;
  }

  /** Where the per-application ring secret comes from; tests pass a known one to find leaks. */
  TrainDriver ringSecrets(Supplier<byte[]> source) {
    this.ringSecrets = source;
    return this;
  }

  /**
   * Trains to the configured number of steps with {@code sc} (local or cluster), resuming from
   * the run directory's LATEST checkpoint when there is one.
   */
  public Outcome run(JavaSparkContext sc, boolean requireCheckpoint)
      throws IOException, InterruptedException {
    return run(sc, requireCheckpoint ? RunStart.RESUME : RunStart.NEW_OR_RESUME);
  }

  /**
   * {@link #run(JavaSparkContext, boolean)} started as {@code runStart} says ({@code --resume},
   * {@code --restart}). The run directory's lock, taken before anything in it is read, is released
   * here however the run ends (docs/checkpoints.md "Run lock").
   */
  public Outcome run(JavaSparkContext sc, RunStart runStart)
      throws IOException, InterruptedException {
    RunLock.Holder lock = new RunLock.Holder();
    try (lock) {
      return run(sc, runStart, lock);
    } catch (IOException | RuntimeException e) {
      lock.throwIfLost(e); // an error met after another driver took the run over: say that
      throw e;
    }
  }

  private Outcome run(JavaSparkContext sc, RunStart runStart, RunLock.Holder lock)
      throws IOException, InterruptedException {
    Preflight.Passed start =
        new Preflight(config, source, modelConfig, allowedChanges).check(sc, runStart, lock);
    RunDirectory dir = start.dir();
    String root = dir.root().toString();
    long total = start.totalSteps();
    long step = start.step();
    String resumeFrom = start.resumeFrom();
    int world = config.cluster().worldSize();
    console.printf("igspark: run %s (%s), %s, world size %d, %d/%d steps done%n",
        config.run().name(), root, start.created() ? "new" : "resuming", world, step, total);
    SegmentTasks tasks = new SegmentTasks(sc);
    CheckpointEvaluation evaluation =
        new CheckpointEvaluation(config.eval(), tasks.modelJson, start.manifest().normalization());
    FixedGrid grid =
        new FixedGrid(config.eval(), tasks.modelJson, start.manifest().normalization());
    RetryPolicy retries = RetryPolicy.of(config.cluster());
    WorldSizeFallback fallback = new WorldSizeFallback(config, console);
    Attempts attempts = new Attempts(start.store(), sc.hadoopConfiguration());
    int segments = 0;
    try (MetricsLog metrics = dir.openMetrics();
        TensorBoardMetrics tensorboard = TensorBoardMetrics.open(dir.fs(), dir.root(), step);
        Preemption preemption = Preemption.install(
            config.cluster().preemptGraceSeconds(), console, sc::cancelAllJobs)) {
      metrics.alsoTo(tensorboard::accept);
      metrics.alsoTo(start.store()::onRecord); // checkpoint.keep_best sees each evaluation
      metrics.alsoTo(TrainingMetricsPlugin.listenerFor(sc.sc())); // Spark's metrics sinks
      TrainingProgress progress =
          new TrainingProgress(console, metrics, total, config.train(), world);
      while (step < total && !preemption.requested()) {
        if (world < config.cluster().worldSize()) { // shrunk: grow back once the slots return
          world = fallback.grownBack(
              world, SegmentJob.availableSlots(sc), step, progress::breakLine);
          progress.worldSize(world);
        }
        SegmentPlan plan = plan(sc, start.store(), step, total);
        DiskSpace.checkBefore(plan.to(), resumeFrom, start.store().dir(),
            sc.hadoopConfiguration(), console);
        List<RankResult<SegmentReport>> results;
        Checkpoint committed;
        try {
          preemption.segmentStarted(attempts.uri(plan), sc.hadoopConfiguration());
          try {
            results =
                runSegment(sc, plan, tasks.task(plan, resumeFrom, start.store()), world, progress);
          } finally {
            preemption.segmentEnded();
          }
          stopIfDiverged(results.get(0).value(), step, root, progress);
          plan = attempts.endingAt(plan, results); // earlier than planned when preempted
          committed = commit(plan, results, start, world, metrics);
        } catch (NotEnoughSlotsException e) {
          progress.breakLine();
          if (preemption.requested()) {
            break;
          }
          world = fallback.after(e, world, step, root);
          progress.worldSize(world);
          continue;
        } catch (InvalidInputException | CheckpointIntegrityException
            | TrainingFailedException e) {
          throw e; // bad input found by a rank, or a broken commit: retrying will not help
        } catch (RuntimeException | IOException | FSError e) {
          progress.breakLine();
          attempts.discard(plan); // the retry starts from the last committed checkpoint, clean
          if (preemption.requested()) {
            break; // cancelled at the end of the grace period: LATEST stays
          }
          double backoff = retries.afterFailure(plan, root, e);
          backOff(plan, e, backoff, retries, metrics, preemption);
          continue;
        }
        resumeFrom = committed.dir().toString();
        step = plan.to();
        retries.afterSuccess();
        segments++;
        if (evaluation.due(step) && !preemption.requested()) {
          progress.breakLine();
          evaluate(sc, dir, metrics, evaluation, step, resumeFrom);
        } else if (grid.due(step) && !preemption.requested()) {
          writeGrid(sc, dir, metrics, grid, step, resumeFrom); // an evaluation has its own grid
        }
      }
      if (preemption.requested()) {
        progress.breakLine();
        console.println(preempted(preemption, step, total, resumeFrom));
        return new Outcome(root, step, total, segments, retries.retries(), true);
      }
    }
    progress(console, step, total, dir);
    return new Outcome(root, step, total, segments, retries.retries(), false);
  }

  /** The one line a preempted driver ends with: what it saved and how to go on. */
  private static String preempted(Preemption p, long step, long total, String checkpoint) {
    String saved = checkpoint == null
        ? "no checkpoint yet"
        : "the last committed checkpoint is " + checkpoint + " (step " + step + " of " + total + ")";
    return String.format(
        "igspark: preempted by %s: %s%s; run the same command again to resume from there",
        p.signal(), saved,
        p.graceExpired() ? " (the running segment did not end within preempt_grace_seconds and"
            + " was cancelled)" : "");
  }

  /** A fresh attempt of the segment that starts at {@code from}, named in Spark's UI. */
  private SegmentPlan plan(JavaSparkContext sc, CheckpointStore store, long from, long total)
      throws IOException {
    // Segments end at multiples of segment_steps, also after a preempted one ended in between.
    long to = Math.min(total, (from / config.segmentSteps() + 1) * config.segmentSteps());
    long segment = from / config.segmentSteps();
    String attempt = store.newAttempt(to);
    sc.setJobDescription(
        String.format(
            "igspark %s: segment %d, steps %d-%d, attempt %s",
            config.run().name(), segment, from, to, attempt));
    return new SegmentPlan(segment, from, to, attempt, System.nanoTime());
  }

  /** Runs one try of a segment as a barrier job of {@code world} ranks. */
  private List<RankResult<SegmentReport>> runSegment(
      JavaSparkContext sc, SegmentPlan plan, SegmentTrainer task, int world,
      TrainingProgress progress) throws IOException {
    return SegmentJob.builder(sc)
        .runId(config.run().name())
        .segment(plan.index())
        .worldSize(world)
        .cpuReplicas(config.cluster().cpuReplicas())
        .slotWait(seconds(config.cluster().slotWaitSeconds()))
        .metricsListener(progress::onRecord)
        .build()
        .run(task);
  }

  /**
   * Logs and records a failed try, then waits {@code backoff} seconds before the retry (less
   * when a signal asks the run to stop).
   */
  private void backOff(
      SegmentPlan plan, Throwable e, double backoff, RetryPolicy retries, MetricsLog metrics,
      Preemption preemption) throws InterruptedException {
    LOG.warn(
        "segment {} failed ({}); retry {}/{} from step {} in {} s",
        plan.index(), rootMessage(e), retries.failuresInARow(), retries.maxRetries(),
        plan.from(), backoff);
    metrics.append(
        new RetryRecord(plan.from(), plan.index(), plan.attempt(), rootMessage(e), backoff,
            Instant.now().toString()));
    preemption.sleepUnlessRequested(Math.round(backoff * 1000));
  }

  /** Stops the run when rank 0 saw too many non-finite steps in a row. */
  private void stopIfDiverged(
      SegmentReport lead, long step, String root, TrainingProgress progress) {
    if (lead.divergedAt() < 0) {
      return;
    }
    progress.breakLine();
    throw new TrainingFailedException(
        String.format(
            "training stopped at step %d: more than %d consecutive steps had a non-finite"
                + " loss or gradient. The last good checkpoint is step %d in %s; lower the"
                + " learning rate or check the data before resuming.",
            lead.divergedAt() + 1, config.train().maxConsecutiveSkips(), step, root),
        null);
  }

  /** Commits the ranks' files as the checkpoint of {@code plan.to()}, prunes, logs the segment. */
  private Checkpoint commit(
      SegmentPlan plan, List<RankResult<SegmentReport>> results, Preflight.Passed start,
      int world, MetricsLog metrics) throws IOException {
    long commitStart = System.nanoTime();
    List<FileEntry> files = new ArrayList<>();
    for (RankResult<SegmentReport> r : results) {
      files.addAll(List.of(r.value().files()));
    }
    CheckpointStore store = start.store();
    Checkpoint committed = attemptsCommit(store, plan, state(plan.to(), start.manifest(), world, start.origin()),
        files);
    double commitSeconds = (System.nanoTime() - commitStart) / 1e9;
    SegmentReport lead = results.get(0).value();
    metrics.append(
        new SegmentRecord(plan.to(), plan.index(), plan.attempt(),
            (System.nanoTime() - plan.startNanos()) / 1e9, lead.startMillis() / 1000.0,
            commitSeconds, lead.warmStart(), lead.skippedSteps(), Instant.now().toString()));
    return committed;
  }

  /**
   * {@link CheckpointStore#commit}, with a failing disk ({@link FSError}) turned into an I/O
   * error naming the checkpoints directory and its file system, unless LATEST moved anyway (the
   * error came from the retention after the commit). Retention failures only log.
   */
  private static Checkpoint attemptsCommit(
      CheckpointStore store, SegmentPlan plan, ObjectNode state, List<FileEntry> files)
      throws IOException {
    Checkpoint committed;
    try {
      committed = store.commit(plan.to(), plan.attempt(), state, files);
    } catch (FSError e) {
      if (store.readLatest().orElse(-1) != plan.to()) {
        // No cause attached: the message, with the path, is what the retry and the end report.
        URI fs = store.dir().toUri();
        throw new IOException(
            (e.getCause() != null ? e.getCause().getMessage() : e.getMessage())
                + ": cannot commit " + store.stepDir(plan.to()) + " (file system "
                + fs.getScheme() + "://" + (fs.getAuthority() != null ? fs.getAuthority() : "")
                + "/)");
      }
      committed = store.open(plan.to());
    }
    try {
      store.prune();
    } catch (IOException | FSError e) {
      LOG.warn("retention after {} failed (retried at the next commit): {}",
          CheckpointStore.stepName(plan.to()), e.toString());
    }
    return committed;
  }

  /** What every segment's tasks share: the resolved configs, the ring secret, Hadoop's conf. */
  private final class SegmentTasks {
    final String runYaml;
    final String modelJson;
    final byte[] secret;
    final HadoopConfiguration hadoop;
    final String applicationId;

    SegmentTasks(JavaSparkContext sc) throws IOException {
      this.runYaml = new YAMLMapper().writeValueAsString(config.toTree());
      this.modelJson = JSON.writeValueAsString(modelConfig.toMap());
      this.secret = ringSecrets.get();
      this.hadoop = new HadoopConfiguration(sc.hadoopConfiguration());
      this.applicationId = sc.sc().applicationId();
    }

    SegmentTrainer task(SegmentPlan plan, String resumeFrom, CheckpointStore store) {
      return new SegmentTrainer(
          runYaml, modelJson, plan.from(), plan.to(), resumeFrom,
          store.attemptUri(plan.to(), plan.attempt()).toString(), hadoop, secret, applicationId);
    }
  }

  /** Evaluates a committed checkpoint; a failed evaluation is logged and never fails training. */
  private void evaluate(
      JavaSparkContext sc,
      RunDirectory dir,
      MetricsLog metrics,
      CheckpointEvaluation evaluation,
      long step,
      String checkpointDir)
      throws IOException {
    sc.setJobDescription("igspark " + config.run().name() + ": evaluation of step " + step);
    try {
      EvalRecord r =
          evaluation.evaluate(sc, dir, step, checkpointDir + "/" + TrainingState.EMA_FILE);
      metrics.append(r);
      boolean fid = EvalRecord.FID.equals(r.metric());
      Double score = fid ? r.inceptionScore() : r.classifierScore();
      console.printf(
          "igspark: step %d: %s %.4f, %s %.3f (%d samples, %.0f s)%n",
          step,
          fid ? "FID" : "FD-FMNIST",
          r.value(),
          fid ? "Inception Score" : "classifier score",
          score != null ? score : Double.NaN,
          r.setting().numSamples(),
          r.seconds());
    } catch (RuntimeException | IOException | FSError e) {
      LOG.warn("evaluation of step {} failed (training goes on): {}", step, rootMessage(e));
      metrics.append(EvalRecord.failed(step, rootMessage(e), Instant.now().toString()));
    }
  }

  /** Writes the fixed sample grid of a committed checkpoint; a failure never fails training. */
  private void writeGrid(
      JavaSparkContext sc, RunDirectory dir, MetricsLog metrics, FixedGrid grid, long step,
      String checkpointDir) throws IOException {
    try {
      metrics.append(
          grid.write(dir, step, checkpointDir + "/" + TrainingState.EMA_FILE,
              sc.hadoopConfiguration()));
    } catch (RuntimeException | IOException | FSError e) {
      LOG.warn("sample grid of step {} failed (training goes on): {}", step, rootMessage(e));
      metrics.append(GridRecord.failed(step, rootMessage(e), Instant.now().toString()));
    }
  }

  /** Starts the application's Spark context (local[1] unless spark-submit or --master says so). */
  public static JavaSparkContext startSpark(RunConfig config, String master) {
    return sparkBuilder(config, master).start();
  }

  /**
   * The application's Spark settings: world size, and the run config's {@code gpu} section as
   * executor environment ({@link RunConfig.Gpu#executorEnvironment()}), which overrides what a
   * profile or {@code igspark-submit --gpu} set.
   */
  public static SparkContexts.Builder sparkBuilder(RunConfig config, String master) {
    SparkContexts.Builder b =
        SparkContexts.builder()
            .appName("igspark train " + config.run().name())
            .worldSize(config.cluster().worldSize());
    config.gpu().executorEnvironment().forEach(b::executorEnv);
    if (master != null) {
      b.master(master);
    }
    return b;
  }

  private static byte[] newRingSecret() {
    byte[] secret = new byte[32];
    new SecureRandom().nextBytes(secret);
    return secret;
  }

  private static Duration seconds(double s) {
    return Duration.ofMillis(Math.round(s * 1000));
  }

  private ObjectNode state(long step, DatasetManifest manifest, int world, DataPosition origin) {
    // The stream goes on from the resumed checkpoint's position, B = global_batch per step, also
    // after an allowed change of B (docs/ARCHITECTURE.md §2 "Order"); unchanged B: step·B.
    long position = origin.at(step, config.train().globalBatch());
    ObjectNode s = JSON.createObjectNode();
    s.put("step", step);
    s.put("epoch", (double) position / manifest.count());
    s.put("data_position", position);
    s.put("seed", config.run().seed());
    s.put("world_size", world);
    s.put("global_batch", config.train().globalBatch());
    return s;
  }

  static String rootMessage(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    return t.getClass().getSimpleName() + ": " + t.getMessage();
  }

  private static void progress(PrintStream console, long step, long total, RunDirectory dir) {
    console.printf(
        "igspark: trained %d/%d steps; checkpoints in %s/checkpoints, metrics in %s/metrics.jsonl%n",
        step, total, dir.root(), dir.root());
  }

  /** The run cannot continue; the message says what happened and how to resume. */
  public static final class TrainingFailedException extends RuntimeException {
    TrainingFailedException(String message, Throwable cause) {
      super(message, cause);
    }
  }
}
