package ai.igspark.train;

import ai.igspark.config.RunConfig;
import ai.igspark.ckpt.Checkpoint;
import ai.igspark.ckpt.CheckpointStore;
import ai.igspark.ckpt.DataPosition;
import ai.igspark.ckpt.DatasetIdentity;
import ai.igspark.ckpt.FileEntry;
import ai.igspark.ckpt.MetricsLog;
import ai.igspark.ckpt.RunDirectory;
import ai.igspark.ckpt.RunLock;
import ai.igspark.ckpt.RunStart;
import ai.igspark.data.InvalidInputException;
import ai.igspark.data.format.DatasetManifest;
import ai.igspark.data.format.DatasetPreflight;
import ai.igspark.data.ingest.HadoopConfiguration;
import ai.igspark.spark.NotEnoughSlotsException;
import ai.igspark.spark.RankResult;
import ai.igspark.spark.SegmentJob;
import ai.igspark.spark.SparkContexts;
import ai.igspark.eval.job.CheckpointEvaluation;
import ai.igspark.model.ModelConfig;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.io.PrintStream;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The driver loop of docs/ARCHITECTURE.md §4: segments of K steps run as barrier jobs, each ending
 * in a checkpoint the driver commits (MANIFEST last, then LATEST); a failed segment is retried from
 * the last committed checkpoint with backoff, up to the retry budget. The same command started
 * again resumes from LATEST.
 */
public final class TrainDriver {
  private static final Logger LOG = LoggerFactory.getLogger(TrainDriver.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  /** What a finished run reports. */
  public record Outcome(String runDir, long step, long totalSteps, int segments, int retries) {}

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
   * {@link #run(JavaSparkContext, boolean)} started as {@code start} says ({@code --resume},
   * {@code --restart}). The run directory's lock, taken before anything in it is read, is released
   * here however the run ends (docs/checkpoints.md "Run lock").
   */
  public Outcome run(JavaSparkContext sc, RunStart start) throws IOException, InterruptedException {
    RunLock.Holder lock = new RunLock.Holder();
    try (lock) {
      return run(sc, start, lock);
    } catch (IOException | RuntimeException e) {
      lock.throwIfLost(e); // an error met after another driver took the run over: say that
      throw e;
    }
  }

  private Outcome run(JavaSparkContext sc, RunStart start, RunLock.Holder lock)
      throws IOException, InterruptedException {
    Configuration conf = sc.hadoopConfiguration();
    checkRingEncryption(sc.getConf(), config.cluster());
    DatasetManifest manifest = DatasetManifest.read(config.data().manifest(), conf);
    checkDataFitsModel(manifest);
    long total = config.totalSteps(manifest.count());
    int world = config.cluster().worldSize();
    config.accumulationSteps(world); // validates global batch vs world size early
    long checkStart = System.nanoTime();
    DatasetPreflight.verify(config.data().manifest(), manifest, conf);
    LOG.info("checked {} data shards (size, sha256, headers, labels) in {} ms", manifest.shards().size(),
        (System.nanoTime() - checkStart) / 1_000_000);

    // One driver per run directory; nothing restarted or mixed silently (docs/checkpoints.md).
    RunDirectory dir = lock.hold(
        RunDirectory.openForDriver(config.run().dir(), conf, start), sc.sc().applicationId());
    RunDirectory.ConfigCheck check = dir.guardResume(config, allowedChanges,
        DatasetIdentity.of(DatasetManifest.manifestPath(config.data().manifest()),
            manifest.count(), conf), start);
    CheckpointStore store = dir.checkpoints(RunDirectory.policyOf(config));
    int stale = store.cleanAttempts();
    if (stale > 0) {
      LOG.info("removed {} uncommitted attempt directories", stale);
    }
    // Broken checkpoints are moved aside and LATEST repaired (docs/RELIABILITY.md).
    Optional<Checkpoint> latest = dir.recoverLatest(store);
    if (start == RunStart.RESUME && latest.isEmpty()) {
      throw new InvalidInputException(
          "--resume: " + dir.root() + " has no committed checkpoint to resume from");
    }
    long step = latest.map(Checkpoint::step).orElse(0L);
    DataPosition origin = latest.isPresent() ? DataPosition.of(latest.get()) : DataPosition.START;
    String resumeFrom = latest.map(c -> c.dir().toString()).orElse(null);
    console.printf(
        "igspark: run %s (%s), %s, world size %d, %d/%d steps done%n",
        config.run().name(),
        dir.root(),
        check.outcome() == RunDirectory.ConfigOutcome.CREATED ? "new" : "resuming",
        world,
        step,
        total);

    String runYaml = new YAMLMapper().writeValueAsString(config.toTree());
    String modelJson = JSON.writeValueAsString(modelConfig.toMap());
    byte[] secret = ringSecrets.get();
    HadoopConfiguration hadoop = new HadoopConfiguration(conf);
    CheckpointEvaluation evaluation =
        new CheckpointEvaluation(config.eval(), modelJson, manifest.normalization());
    int retries = 0;
    int totalRetries = 0;
    int segments = 0;
    try (MetricsLog metrics = dir.openMetrics()) {
      TrainingProgress progress =
          new TrainingProgress(console, metrics, total, config.train(), world);
      while (step < total) {
        long end = Math.min(total, step + config.segmentSteps());
        long segment = segmentIndex(step);
        String attempt = store.newAttempt(end);
        sc.setJobDescription(
            String.format(
                "igspark %s: segment %d, steps %d-%d, attempt %s",
                config.run().name(), segment, step, end, attempt));
        long t0 = System.nanoTime();
        SegmentTrainer task =
            new SegmentTrainer(
                runYaml,
                modelJson,
                step,
                end,
                resumeFrom,
                store.attemptUri(end, attempt).toString(),
                hadoop,
                secret,
                sc.sc().applicationId());
        List<RankResult<SegmentReport>> results;
        try {
          results =
              SegmentJob.builder(sc)
                  .runId(config.run().name())
                  .segment(segment)
                  .worldSize(world)
                  .cpuReplicas(config.cluster().cpuReplicas())
                  .slotWait(seconds(config.cluster().slotWaitSeconds()))
                  .metricsListener(progress::onRecord)
                  .build()
                  .run(task);
        } catch (NotEnoughSlotsException e) {
          int smaller = smallerWorld(e.availableSlots());
          if (!config.cluster().allowSmallerWorld() || smaller < 1 || smaller >= world) {
            progress.breakLine();
            String instead = config.cluster().allowSmallerWorld()
                ? ""
                : ", or set cluster.allow_smaller_world: true to continue with fewer ranks (same"
                    + " global batch)";
            throw new InvalidInputException(
                String.format(
                    "%s. The last committed checkpoint is step %d in %s: run the same command"
                        + " again when the cluster has %d free executors%s.",
                    e.getMessage(), step, dir.root(), world, instead));
          }
          // The data order is a pure function of (seed, step) whatever W is
          // (docs/ARCHITECTURE.md §2 "Order"), so W may change between segments.
          LOG.warn(
              "only {} task slots for world size {}; cluster.allow_smaller_world: continuing"
                  + " with world size {} (global batch {} kept) from step {}",
              e.availableSlots(), world, smaller, config.train().globalBatch(), step);
          console.printf(
              "igspark: only %d executors; continuing with world size %d from step %d%n",
              e.availableSlots(), smaller, step);
          world = smaller;
          progress.worldSize(world);
          continue;
        } catch (InvalidInputException e) {
          throw e; // bad input found by a rank: retrying will not help
        } catch (RuntimeException | IOException e) {
          progress.breakLine();
          retries++;
          totalRetries++;
          if (retries > config.cluster().maxRetries()) {
            throw new TrainingFailedException(
                String.format(
                    "segment %d (steps %d-%d) failed %d times in a row; giving up. The last"
                        + " committed checkpoint is step %d in %s. Fix the cause and run the same"
                        + " command again to resume from there. Last error: %s",
                    segment, step, end, retries, step, dir.root(), rootMessage(e)),
                e);
          }
          double backoff =
              Math.min(
                  config.cluster().maxBackoffSeconds(),
                  config.cluster().backoffSeconds() * Math.pow(2, retries - 1));
          LOG.warn(
              "segment {} failed ({}); retry {}/{} from step {} in {} s",
              segment,
              rootMessage(e),
              retries,
              config.cluster().maxRetries(),
              step,
              backoff);
          metrics.append(retryRecord(step, segment, attempt, e, backoff));
          Thread.sleep(Math.round(backoff * 1000));
          continue;
        }
        SegmentReport lead = results.get(0).value();
        if (lead.divergedAt() >= 0) {
          progress.breakLine();
          throw new TrainingFailedException(
              String.format(
                  "training stopped at step %d: more than %d consecutive steps had a non-finite"
                      + " loss or gradient. The last good checkpoint is step %d in %s; lower the"
                      + " learning rate or check the data before resuming.",
                  lead.divergedAt() + 1,
                  config.train().maxConsecutiveSkips(),
                  step,
                  dir.root()),
              null);
        }
        long commitStart = System.nanoTime();
        List<FileEntry> files = new ArrayList<>();
        for (RankResult<SegmentReport> r : results) {
          files.addAll(List.of(r.value().files()));
        }
        Checkpoint committed =
            store.commit(end, attempt, state(end, manifest, world, origin), files);
        store.prune();
        double commitSeconds = (System.nanoTime() - commitStart) / 1e9;
        metrics.append(
            segmentRecord(end, segment, attempt, (System.nanoTime() - t0) / 1e9, lead,
                commitSeconds));
        step = end;
        resumeFrom = committed.dir().toString();
        retries = 0;
        segments++;
        if (evaluation.due(step)) {
          progress.breakLine();
          evaluate(sc, dir, metrics, evaluation, step, resumeFrom);
        }
      }
    }
    progress(console, step, total, dir);
    return new Outcome(dir.root().toString(), step, total, segments, totalRetries);
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
      ObjectNode r =
          evaluation.evaluate(sc, dir, step, checkpointDir + "/" + TrainingState.EMA_FILE);
      metrics.append(r);
      boolean fid = "fid".equals(r.get("metric").asText());
      console.printf(
          "igspark: step %d: %s %.4f, %s %.3f (%d samples, %.0f s)%n",
          step,
          fid ? "FID" : "FD-FMNIST",
          r.get("value").asDouble(),
          fid ? "Inception Score" : "classifier score",
          r.path(fid ? "inception_score" : "classifier_score").asDouble(Double.NaN),
          r.get("num_samples").asInt(),
          r.get("seconds").asDouble());
    } catch (RuntimeException | IOException e) {
      LOG.warn("evaluation of step {} failed (training goes on): {}", step, rootMessage(e));
      ObjectNode r = JSON.createObjectNode();
      r.put("kind", "eval");
      r.put("step", step);
      r.put("error", rootMessage(e));
      r.put("time", Instant.now().toString());
      metrics.append(r);
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

  /**
   * The largest world size ≤ {@code slots} that splits the global batch evenly (so the global
   * batch, and with it the trajectory, stays the same), or 0.
   */
  int smallerWorld(int slots) {
    for (int w = slots; w >= 1; w--) {
      if (config.train().globalBatch() % w == 0) {
        try {
          config.accumulationSteps(w);
          return w;
        } catch (InvalidInputException e) {
          // this W does not fit the batch: try a smaller one
        }
      }
    }
    return 0;
  }

  /**
   * Gradients cross the TCP ring, not Spark's RPC, so spark.ssl.enabled does not protect them
   * (the ring authenticates peers with the application secret but does not encrypt). A cluster
   * that asked for TLS must say explicitly that unencrypted gradients are acceptable.
   */
  static void checkRingEncryption(SparkConf conf, RunConfig.Cluster cluster) {
    boolean tls = conf.getBoolean("spark.ssl.enabled", false)
        || conf.getBoolean("spark.network.crypto.enabled", false);
    if (tls && !cluster.allowUnencryptedRing()) {
      throw new InvalidInputException(
          "spark.ssl.enabled / spark.network.crypto.enabled is set, but igspark's gradient ring"
              + " (TCP between executors) is authenticated, not encrypted: gradients would cross"
              + " the network in clear outside Spark's TLS. Set cluster.allow_unencrypted_ring:"
              + " true in the run config if the executors' network is trusted, or run without"
              + " Spark encryption");
    }
  }

  private static byte[] newRingSecret() {
    byte[] secret = new byte[32];
    new SecureRandom().nextBytes(secret);
    return secret;
  }

  private static Duration seconds(double s) {
    return Duration.ofMillis(Math.round(s * 1000));
  }

  private long segmentIndex(long step) {
    return step / config.segmentSteps();
  }

  private void checkDataFitsModel(DatasetManifest m) {
    List<Integer> expected =
        List.of(modelConfig.inChannels(), modelConfig.inputSize(), modelConfig.inputSize());
    if (!m.latentShape().equals(expected)) {
      throw new InvalidInputException(
          config.data().manifest() + ": samples are " + m.latentShape()
              + " but the model (" + source + ": model) expects [in_channels, input_size,"
              + " input_size] = " + expected);
    }
    if (m.numClasses() != modelConfig.numClasses()) {
      throw new InvalidInputException(
          config.data().manifest() + ": " + m.numClasses() + " classes, but the model ("
              + source + ": model) has num_classes " + modelConfig.numClasses());
    }
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

  private static ObjectNode segmentRecord(
      long step, long segment, String attempt, double seconds, SegmentReport lead, double commit) {
    ObjectNode r = JSON.createObjectNode();
    r.put("kind", "segment");
    r.put("step", step);
    r.put("segment", segment);
    r.put("attempt", attempt);
    r.put("seconds", seconds);
    r.put("start_seconds", lead.startMillis() / 1000.0);
    r.put("commit_seconds", commit);
    r.put("warm_cache", lead.warmStart());
    r.put("skipped_steps", lead.skippedSteps());
    r.put("time", Instant.now().toString());
    return r;
  }

  private static ObjectNode retryRecord(
      long step, long segment, String attempt, Exception e, double backoff) {
    ObjectNode r = JSON.createObjectNode();
    r.put("kind", "retry");
    r.put("step", step);
    r.put("segment", segment);
    r.put("attempt", attempt);
    r.put("error", rootMessage(e));
    r.put("backoff_seconds", backoff);
    r.put("time", Instant.now().toString());
    return r;
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
