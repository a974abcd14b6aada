package ai.igspark.ckpt;

import ai.igspark.config.RunConfig;
import ai.igspark.config.RunConfigDiff;
import ai.igspark.data.InvalidInputException;
import ai.igspark.data.Sha256;
import ai.igspark.data.config.TypedConfig;
import ai.igspark.metrics.CheckpointBrokenRecord;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileContext;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * A run's directory on any Hadoop FileSystem (docs/ARCHITECTURE.md §5): run.yaml, metrics, eval
 * output and the checkpoints.
 *
 * <pre>
 * lock/                    the driver's run lock and fencing epoch (RunLock)
 * run.yaml                 the resolved configuration, written when the run is created
 * data-identity.json       the dataset's manifest SHA-256 and count (DatasetIdentity)
 * config-history/          earlier run.yaml (and data-identity.json) files, kept when a resume
 *                          changed allowed keys
 * restarted-20260101-120000/  what the run directory held before a train --restart
 * metrics.jsonl            one JSON object per line (see MetricsLog for filesystems without append)
 * eval/step-00050000/      evaluation output of a committed step
 * checkpoints/             see CheckpointStore
 * </pre>
 */
public final class RunDirectory {
  public static final String RUN_YAML = "run.yaml";
  public static final String DATA_IDENTITY = "data-identity.json";
  /** The checkpoint store's directory under the run. */
  public static final String CHECKPOINTS = "checkpoints";
  private static final ObjectMapper CANONICAL =
      new ObjectMapper().enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS);
  private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss");

  private final FileSystem fs;
  private final Path root;
  private final Configuration conf;
  /** The lock this driver holds on the run, or null (readers, tools). */
  private volatile RunLock lock;

  private RunDirectory(FileSystem fs, Path root, Configuration conf) {
    this.fs = fs;
    this.root = root;
    this.conf = conf;
  }

  /**
   * Opens (creating it if needed) the run directory at {@code location}: a Hadoop URI ({@code
   * hdfs://nn:8020/runs/x}, {@code file:/tmp/x}, {@code s3a://...}) or a plain path, which is on
   * the local disk, relative to the working directory.
   */
  public static RunDirectory open(String location, Configuration conf) throws IOException {
    RunDirectory run = locate(location, conf);
    if (run.fs.exists(run.root) && !run.fs.getFileStatus(run.root).isDirectory()) {
      throw new InvalidInputException("run.dir '" + location + "' exists and is not a directory");
    }
    run.fs.mkdirs(run.root);
    return run;
  }

  /**
   * {@link #open} for a training driver: with {@link RunStart#RESUME} a run directory that does
   * not exist is refused before anything is created.
   */
  public static RunDirectory openForDriver(String location, Configuration conf, RunStart start)
      throws IOException {
    RunDirectory run = locate(location, conf);
    if (start == RunStart.RESUME && !run.fs.exists(run.root)) {
      throw new InvalidInputException("--resume: " + run.root + " has no committed checkpoint to"
          + " resume from (the run directory does not exist; nothing was written)");
    }
    return open(location, conf);
  }

  /**
   * Takes the run's lock for this driver (one driver per run directory, docs/checkpoints.md "Run
   * lock"), before anything else in the directory is read or written. From then on the checkpoint
   * store and metrics of this object are fenced by it. Close the lock when the driver ends.
   *
   * @throws RunLockedException another live driver holds it (the message names it)
   */
  public RunLock lock(String applicationId) throws IOException {
    if (lock != null) {
      throw new IllegalStateException(root + ": this driver already holds " + lock.file());
    }
    RunLock taken = RunLock.acquire(SmallFiles.control(fs), root, applicationId,
        RunLock.Timing.of(conf));
    lock = taken;
    return taken;
  }

  /** The run directory at {@code location}, which must exist; nothing is created (readers). */
  public static RunDirectory existing(String location, Configuration conf) throws IOException {
    RunDirectory run = locate(location, conf);
    if (!run.fs.exists(run.root) || !run.fs.getFileStatus(run.root).isDirectory()) {
      throw new InvalidInputException(
          "run directory '" + location + "' does not exist or is not a directory");
    }
    return run;
  }

  private static RunDirectory locate(String location, Configuration conf) throws IOException {
    Path path;
    FileSystem fs;
    if (hasScheme(location)) {
      path = new Path(location);
      try {
        fs = path.getFileSystem(conf);
      } catch (IOException | IllegalArgumentException e) {
        throw new InvalidInputException(
            "run.dir '" + location + "': no usable Hadoop filesystem for it (" + e.getMessage()
                + ")", e);
      }
    } else {
      fs = FileSystem.getLocal(conf);
      path = new Path(java.nio.file.Path.of(location).toAbsolutePath().normalize().toUri());
    }
    return new RunDirectory(fs, fs.makeQualified(path), conf);
  }

  private static boolean hasScheme(String location) {
    try {
      String scheme = new URI(location).getScheme();
      // "C:\..." style drive letters are not schemes.
      return scheme != null && scheme.length() > 1;
    } catch (URISyntaxException e) {
      return false;
    }
  }

  public Path root() {
    return root;
  }

  public FileSystem fs() {
    return fs;
  }

  public Configuration conf() {
    return conf;
  }

  /** What {@link #guardConfig} found. */
  public enum ConfigOutcome {
    /** No run.yaml yet: it was written. */
    CREATED,
    /** run.yaml holds the same configuration. */
    UNCHANGED,
    /** The configuration differs only in allowed keys: run.yaml was replaced, the old kept. */
    CHANGED_ALLOWED
  }

  /** The outcome, the canonical hash of the configuration now in force, and the differences. */
  public record ConfigCheck(ConfigOutcome outcome, String hash, RunConfigDiff diff) {}

  /** {@link #guardConfig(JsonNode, Collection)} for a validated {@link RunConfig}. */
  public ConfigCheck guardConfig(RunConfig config, Collection<String> allowedChanges)
      throws IOException {
    return guardConfig(config.toTree(), allowedChanges, RunDirectory::withCurrentDefaults, null);
  }

  /**
   * A stored run.yaml read by the current version: keys added since it was written (e.g.
   * {@code cluster.ring}, {@code gpu}) take their defaults, so they are no change. A file the
   * current version cannot read is compared as it is, and the diff names what differs.
   */
  private static JsonNode withCurrentDefaults(JsonNode stored) {
    try {
      return RunConfig.fromTree(stored, "run.yaml").toTree();
    } catch (RuntimeException e) {
      return stored;
    }
  }

  /**
   * Writes run.yaml for a new run; for an existing run, compares {@code resolved} with run.yaml and
   * refuses (an {@link InvalidInputException} listing every differing key, old → new) unless
   * {@code allowedChanges} covers all of them (a key covers its sub-keys: {@code eval}).
   */
  public ConfigCheck guardConfig(JsonNode resolved, Collection<String> allowedChanges)
      throws IOException {
    return guardConfig(resolved, allowedChanges, java.util.function.UnaryOperator.identity(),
        null);
  }

  /**
   * The training driver's start-up guard (docs/checkpoints.md "Resume guard"), after {@link
   * #lock}: refuses a run directory that holds checkpoints without run.yaml, or a training history
   * without checkpoints, unless {@code start} is {@link RunStart#RESTART} (which first moves
   * everything to {@code restarted-<UTC time>/}); refuses {@link RunStart#RESUME} without a
   * checkpoint; then {@link #guardConfig(RunConfig, Collection)} with the dataset's identity
   * compared as the key {@code data.identity}. Nothing is written unless every check passes.
   */
  public ConfigCheck guardResume(RunConfig config, Collection<String> allowedChanges,
      DatasetIdentity data, RunStart start) throws IOException {
    RunHistory history = RunHistory.of(this);
    if (start == RunStart.RESTART) {
      history.moveAside();
    } else {
      history.requireResumable(start);
    }
    return guardConfig(config.toTree(), allowedChanges, RunDirectory::withCurrentDefaults, data);
  }

  private ConfigCheck guardConfig(JsonNode resolved, Collection<String> allowedChanges,
      java.util.function.UnaryOperator<JsonNode> readStored, DatasetIdentity data)
      throws IOException {
    Optional<JsonNode> stored = storedConfig();
    if (stored.isEmpty()) {
      writeRunYaml(resolved);
      writeDataIdentity(data);
      return new ConfigCheck(ConfigOutcome.CREATED, configHash(resolved), RunConfigDiff.between(
          resolved, resolved));
    }
    Optional<DatasetIdentity> storedData =
        data == null ? Optional.empty() : storedDataIdentity();
    RunConfigDiff diff = RunConfigDiff.between(
        DatasetIdentity.into(readStored.apply(stored.get()), storedData.orElse(data)),
        DatasetIdentity.into(resolved, data));
    if (diff.isEmpty()) {
      if (data != null && storedData.isEmpty()) {
        writeDataIdentity(data); // a run created before datasets were recorded
      }
      return new ConfigCheck(ConfigOutcome.UNCHANGED, configHash(stored.get()), diff);
    }
    diff.requireAllowed(DatasetIdentity.withImpliedChanges(allowedChanges), storedData.isPresent()
        ? runYaml() + " (and " + DATA_IDENTITY + ", data.identity)" : runYaml().toString());
    Path history = new Path(root, "config-history");
    fs.mkdirs(history);
    String stamp = STAMP.format(ZonedDateTime.now(ZoneOffset.UTC));
    keep(runYaml(), new Path(history, "run-" + stamp + ".yaml"));
    if (storedData.isPresent()) {
      keep(dataIdentityFile(), new Path(history, "data-identity-" + stamp + ".json"));
    }
    writeRunYaml(resolved);
    writeDataIdentity(data);
    return new ConfigCheck(ConfigOutcome.CHANGED_ALLOWED, configHash(resolved), diff);
  }

  private void keep(Path file, Path copy) throws IOException {
    try (InputStream in = fs.open(file); FSDataOutputStream out = fs.create(copy, true)) {
      in.transferTo(out);
      out.hsync();
    }
  }

  /** data-identity.json's dataset identity, if the run recorded one. */
  public Optional<DatasetIdentity> storedDataIdentity() throws IOException {
    try (InputStream in = SmallFiles.control(fs).open(dataIdentityFile())) {
      JsonNode n = TypedConfig.mapper().readTree(in.readAllBytes());
      return Optional.of(DatasetIdentity.fromTree(n, dataIdentityFile().toString()));
    } catch (FileNotFoundException e) {
      return Optional.empty();
    } catch (JsonProcessingException e) {
      throw new InvalidInputException(dataIdentityFile() + ": not valid JSON: "
          + e.getOriginalMessage());
    }
  }

  public Path dataIdentityFile() {
    return new Path(root, DATA_IDENTITY);
  }

  private void writeDataIdentity(DatasetIdentity data) throws IOException {
    if (data != null) {
      SmallFiles.replace(fs, FileContext.getFileContext(root.toUri(), conf), dataIdentityFile(),
          CANONICAL.writerWithDefaultPrettyPrinter().writeValueAsBytes(data.toTree()));
    }
  }

  /** run.yaml's tree, if the run has one. */
  public Optional<JsonNode> storedConfig() throws IOException {
    String text;
    try (InputStream in = fs.open(runYaml())) {
      text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (FileNotFoundException e) {
      return Optional.empty();
    }
    try {
      return Optional.of(TypedConfig.mapper().readTree(text));
    } catch (JsonProcessingException e) {
      throw new InvalidInputException(runYaml() + ": not valid YAML: " + e.getOriginalMessage());
    }
  }

  public Path runYaml() {
    return new Path(root, RUN_YAML);
  }

  /**
   * SHA-256 of the configuration's canonical JSON (keys sorted at every level), the identity a
   * resume is checked against.
   */
  public static String configHash(JsonNode config) {
    try {
      return Sha256.of(CANONICAL.writeValueAsBytes(sorted(config)));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  private static Object sorted(JsonNode n) {
    if (n.isObject()) {
      Map<String, Object> m = new TreeMap<>();
      for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        m.put(e.getKey(), sorted(e.getValue()));
      }
      return m;
    }
    if (n.isArray()) {
      List<Object> l = new ArrayList<>();
      n.forEach(c -> l.add(sorted(c)));
      return l;
    }
    return n;
  }

  private void writeRunYaml(JsonNode resolved) throws IOException {
    byte[] bytes = TypedConfig.mapper().writeValueAsBytes(resolved);
    SmallFiles.replace(fs, FileContext.getFileContext(root.toUri(), conf), runYaml(), bytes);
  }

  /**
   * Opens the metrics appender for this session. Only the run lock's holder appends while a
   * driver runs: with the lock, appends stop once this driver knows it lost it; without, opening
   * is refused while another live driver holds the lock.
   */
  public MetricsLog openMetrics() throws IOException {
    RunLock held = lock;
    if (held == null) {
      RunLock.requireNoLiveHolder(SmallFiles.control(fs), root, RunLock.Timing.of(conf),
          "append to " + root + "/" + MetricsLog.FILE);
      return MetricsLog.open(fs, root);
    }
    return MetricsLog.open(fs, root).guardedBy(held::requireNotLostOrPaused);
  }

  /** Every metrics record: metrics.jsonl, then any per-session parts in name order. */
  public List<JsonNode> readMetrics() throws IOException {
    List<JsonNode> records = new ArrayList<>();
    Path main = new Path(root, MetricsLog.FILE);
    if (fs.exists(main)) {
      MetricsLog.readInto(fs, main, records);
    }
    FileStatus[] parts = fs.globStatus(new Path(root, MetricsLog.PART_PREFIX + "*.jsonl"));
    if (parts != null) {
      Arrays.sort(parts, (a, b) -> a.getPath().getName().compareTo(b.getPath().getName()));
      for (FileStatus p : parts) {
        MetricsLog.readInto(fs, p.getPath(), records);
      }
    }
    return records;
  }

  /** {@code eval/step-00050000/}, created. */
  public Path evalDir(long step) throws IOException {
    Path p = new Path(new Path(root, "eval"), CheckpointStore.stepName(step));
    fs.mkdirs(p);
    return p;
  }

  /** The store under {@code checkpoints/}, fenced by this driver's lock if it holds one. */
  public CheckpointStore checkpoints(CommitPolicy policy) throws IOException {
    RunLock held = lock;
    CheckpointStore store = new CheckpointStore(new Path(root, CHECKPOINTS), conf, policy);
    if (policy.keepBest() != null) {
      store.keepingBest(new BestCheckpoint(policy.keepBest(), this::readMetrics));
    }
    return held == null ? store : store.fencedBy(held);
  }

  /**
   * The checkpoint the driver resumes from, through {@link CheckpointStore#recover}: each broken
   * checkpoint moved aside on the way is named in the log and in a {@code checkpoint_broken}
   * metrics record ({@code step}, {@code reason}, {@code moved_to}).
   *
   * @throws NoVerifiedCheckpointException checkpoints exist but none verifies
   */
  public Optional<Checkpoint> recoverLatest(CheckpointStore store) throws IOException {
    CheckpointStore.Recovery recovery = store.recover();
    if (!recovery.movedAside().isEmpty()) {
      try (MetricsLog metrics = openMetrics()) {
        for (BrokenCheckpoint b : recovery.movedAside()) {
          metrics.append(new CheckpointBrokenRecord(
              b.step(), b.reason(), b.movedTo(), Instant.now().toString()));
        }
      }
    }
    return recovery.checkpoint();
  }

  /** The commit policy a run configuration asks for. */
  public static CommitPolicy policyOf(RunConfig config) {
    RunConfig.Checkpoint c = config.checkpoint();
    return new CommitPolicy(
        c.commitRetries(),
        java.time.Duration.ofMillis(Math.round(c.commitBackoffSeconds() * 1000)),
        true,
        c.verifyOnLoad(),
        c.keep(),
        new java.util.HashSet<>(c.pins()),
        c.keepBest());
  }
}
