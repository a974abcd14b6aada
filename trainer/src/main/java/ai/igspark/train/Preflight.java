package ai.igspark.train;

import ai.igspark.ckpt.Checkpoint;
import ai.igspark.ckpt.CheckpointStore;
import ai.igspark.ckpt.DataPosition;
import ai.igspark.ckpt.DatasetIdentity;
import ai.igspark.ckpt.RunDirectory;
import ai.igspark.ckpt.RunLock;
import ai.igspark.ckpt.RunStart;
import ai.igspark.config.RunConfig;
import ai.igspark.data.InvalidInputException;
import ai.igspark.data.format.DatasetManifest;
import ai.igspark.data.format.DatasetPreflight;
import ai.igspark.model.ModelConfig;
import ai.igspark.model.ParameterShapes;
import ai.igspark.tensorfile.SafetensorsFile;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
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

    /** Where the data stream stands at the resumed checkpoint (the start for a new run). */
    DataPosition origin() throws IOException {
      return latest.isPresent() ? DataPosition.of(latest.get()) : DataPosition.START;
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
   * @param runStart {@code --resume} (refuse a run directory without a committed checkpoint),
   *     {@code --restart}, or neither
   * @param lock takes the run directory's lock before anything in it is read
   */
  Passed check(JavaSparkContext sc, RunStart runStart, RunLock.Holder lock) throws IOException {
    Configuration conf = sc.hadoopConfiguration();
    // What the run reads.
    checkRingEncryption(sc.getConf(), config.cluster());
    checkLocalWorld(sc.isLocal(), sc.defaultParallelism());
    DatasetManifest manifest = DatasetManifest.read(config.data().manifest(), conf);
    checkDataFitsModel(manifest);
    long total = config.totalSteps(manifest.count());
    config.accumulationSteps(config.cluster().worldSize()); // global batch vs world size
    checkShards(manifest, conf);
    checkEvaluation(manifest, conf);
    // Where the run stands.
    // One driver per run directory; nothing restarted or mixed silently (docs/checkpoints.md).
    RunDirectory dir = lock.hold(
        RunDirectory.openForDriver(config.run().dir(), conf, runStart), sc.sc().applicationId());
    RunDirectory.ConfigCheck check = dir.guardResume(config, allowedChanges,
        DatasetIdentity.of(DatasetManifest.manifestPath(config.data().manifest()),
            manifest.count(), conf), runStart);
    CheckpointStore store = dir.checkpoints(RunDirectory.policyOf(config));
    int stale = store.cleanAttempts();
    if (stale > 0) {
      LOG.info("removed {} uncommitted attempt directories", stale);
    }
    // Broken checkpoints are moved aside and LATEST repaired (docs/RELIABILITY.md).
    Optional<Checkpoint> latest = dir.recoverLatest(store);
    if (runStart == RunStart.RESUME && latest.isEmpty()) {
      throw new InvalidInputException(
          "--resume: " + dir.root() + " has no committed checkpoint to resume from");
    }
    if (latest.isPresent()) {
      checkCheckpointFitsModel(latest.get(), conf);
    }
    boolean created = check.outcome() == RunDirectory.ConfigOutcome.CREATED;
    return new Passed(manifest, total, dir, created, store, latest);
  }

  /**
   * The checkpoint a run resumes from holds every trainable parameter of the model in force, with
   * its shape (headers only): a model change allowed by --allow-change that the weights cannot
   * follow is refused here, not on every rank's first load.
   */
  private void checkCheckpointFitsModel(Checkpoint latest, Configuration conf) throws IOException {
    Path file = new Path(latest.dir(), TrainingState.MODEL_FILE);
    FileSystem fs = file.getFileSystem(conf);
    Map<String, SafetensorsFile.TensorInfo> stored;
    try (InputStream in = fs.open(file)) {
      stored = SafetensorsFile.readHeader(in, fs.getFileStatus(file).getLen(), file.toString())
          .tensors();
    }
    for (Map.Entry<String, long[]> p : ParameterShapes.of(modelConfig).entrySet()) {
      SafetensorsFile.TensorInfo t = stored.get(p.getKey());
      if (t == null || !Arrays.equals(t.shape(), p.getValue())) {
        throw new InvalidInputException(
            file + ": the checkpoint of step " + latest.step() + " does not fit the model of "
                + source + ": parameter '" + p.getKey() + "' is "
                + (t == null ? "absent" : Arrays.toString(t.shape())) + " in the checkpoint and "
                + Arrays.toString(p.getValue()) + " in the model; resume with the model the"
                + " checkpoint was trained with, or start a new run");
      }
    }
  }

  /**
   * An in-training evaluation would find its settings and reference wrong only hours in: its
   * sample count must split evenly over the classes when labels are balanced, and every file it
   * names must be readable now.
   */
  private void checkEvaluation(DatasetManifest manifest, Configuration conf) throws IOException {
    RunConfig.Eval eval = config.eval();
    if (eval.gridEverySteps() > 0 && !eval.latent() && !"none".equals(manifest.vae().name())) {
      throw new InvalidInputException(
          source + ": eval.grid_every_steps " + eval.gridEverySteps() + " on a dataset of "
              + manifest.vae().name() + " latents needs eval.vae_decoder and eval.inception to"
              + " draw the samples as images; set both or eval.grid_every_steps: 0");
    }
    if (eval.everySteps() <= 0 && eval.gridEverySteps() <= 0) {
      return;
    }
    if (eval.everySteps() > 0 && eval.balanced()
        && eval.numSamples() % manifest.numClasses() != 0) {
      throw new InvalidInputException(
          source + ": eval.num_samples " + eval.numSamples() + " is not a multiple of the"
              + " dataset's " + manifest.numClasses() + " classes, so class-balanced labels are"
              + " impossible; use a multiple or eval.balanced: false");
    }
    for (String[] file : new String[][] {
        {"eval.reference", eval.reference()}, {"eval.vae_decoder", eval.vaeDecoder()},
        {"eval.inception", eval.inception()}}) {
      if (file[1] == null) {
        continue;
      }
      Path p = new Path(file[1]);
      FileSystem fs = p.getFileSystem(conf);
      if (!fs.exists(p)) {
        throw new InvalidInputException(
            source + ": " + file[0] + " '" + file[1] + "' does not exist; the first evaluation"
                + " (step " + (eval.everySteps() > 0 ? eval.everySteps() : eval.gridEverySteps())
                + ") would fail");
      }
      if (fs.getFileStatus(p).isFile()) {
        try (InputStream in = fs.open(p)) {
          in.read();
        } catch (IOException e) {
          throw new InvalidInputException(
              source + ": " + file[0] + " '" + file[1] + "' cannot be read: " + e.getMessage());
        }
      }
    }
  }

  /**
   * Spark's local mode runs every rank as a thread of this one JVM, and DJL's PyTorch engine lets
   * only one gradient collector be open per JVM: two ranks would fail their first step on the
   * executors. (With fewer local slots than ranks the slot check says so instead.)
   */
  void checkLocalWorld(boolean local, int localSlots) {
    int world = config.cluster().worldSize();
    if (local && world > 1 && localSlots >= world) {
      throw new InvalidInputException(
          source + ": cluster.world_size " + world + " in Spark local mode: every rank would run"
              + " in this one JVM, where PyTorch allows one gradient collector at a time. Use"
              + " world_size: 1 with cluster.cpu_replicas for several replicas in one process, or"
              + " a cluster with one executor per rank (cluster-config/standalone starts one on"
              + " this machine)");
    }
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
