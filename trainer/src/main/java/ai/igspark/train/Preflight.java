package ai.igspark.train;

import ai.igspark.ckpt.Checkpoint;
import ai.igspark.ckpt.CheckpointStore;
import ai.igspark.ckpt.RunDirectory;
import ai.igspark.config.RunConfig;
import ai.igspark.data.InvalidInputException;
import ai.igspark.data.format.DatasetManifest;
import ai.igspark.data.format.DatasetPreflight;
import ai.igspark.model.ModelConfig;
import java.io.IOException;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the driver checks before the first segment (docs/ARCHITECTURE.md §4.1): first what the run
 * reads (cluster encryption, data against model, batch against world size, every shard), then
 * where it stands (config guard, stale attempts, the resume point). Every check fails with an
 * {@link InvalidInputException} that names the file or key, before any executor is asked for.
 */
final class Preflight {
  private static final Logger LOG = LoggerFactory.getLogger(Preflight.class);

  private final RunConfig config;
  private final String source;
  private final ModelConfig modelConfig;
  private final Collection<String> allowedChanges;

  /**
   * What the checks found, and where the run starts.
   *
   * @param created whether the run directory was new (no run.yaml yet)
   * @param latest the committed checkpoint to resume from, if any
   */
  record Passed(
      DatasetManifest manifest,
      long totalSteps,
      RunDirectory dir,
      boolean created,
      CheckpointStore store,
      Optional<Checkpoint> latest) {

    /** The committed step the run resumes at (0 for a new run). */
    long step() {
      return latest.map(Checkpoint::step).orElse(0L);
    }

    /** The checkpoint directory the first segment loads, or null to start from step 0. */
    String resumeFrom() {
      return latest.map(c -> c.dir().toString()).orElse(null);
    }
  }

  Preflight(
      RunConfig config, String source, ModelConfig modelConfig, Collection<String> allowedChanges) {
    this.config = config;
    this.source = source;
    this.modelConfig = modelConfig;
    this.allowedChanges = allowedChanges;
  }

  /**
   * Runs every check.
   *
   * @param requireCheckpoint {@code --resume}: refuse a run directory without a committed
   *     checkpoint
   */
  Passed check(JavaSparkContext sc, boolean requireCheckpoint) throws IOException {
    Configuration conf = sc.hadoopConfiguration();
    // What the run reads.
    checkRingEncryption(sc.getConf(), config.cluster());
    DatasetManifest manifest = DatasetManifest.read(config.data().manifest(), conf);
    checkDataFitsModel(manifest);
    long total = config.totalSteps(manifest.count());
    config.accumulationSteps(config.cluster().worldSize()); // global batch vs world size
    checkShards(manifest, conf);
    // Where the run stands.
    RunDirectory dir = RunDirectory.open(config.run().dir(), conf);
    RunDirectory.ConfigCheck check = dir.guardConfig(config, allowedChanges);
    CheckpointStore store = dir.checkpoints(RunDirectory.policyOf(config));
    int stale = store.cleanAttempts();
    if (stale > 0) {
      LOG.info("removed {} uncommitted attempt directories", stale);
    }
    // Broken checkpoints are moved aside and LATEST repaired (docs/RELIABILITY.md).
    Optional<Checkpoint> latest = dir.recoverLatest(store);
    if (requireCheckpoint && latest.isEmpty()) {
      throw new InvalidInputException(
          "--resume: " + dir.root() + " has no committed checkpoint to resume from");
    }
    boolean created = check.outcome() == RunDirectory.ConfigOutcome.CREATED;
    return new Passed(manifest, total, dir, created, store, latest);
  }

  /** Every shard's size, SHA-256, header and labels against the manifest. */
  private void checkShards(DatasetManifest manifest, Configuration conf) throws IOException {
    long start = System.nanoTime();
    DatasetPreflight.verify(config.data().manifest(), manifest, conf);
    LOG.info("checked {} data shards (size, sha256, headers, labels) in {} ms",
        manifest.shards().size(), (System.nanoTime() - start) / 1_000_000);
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
}
