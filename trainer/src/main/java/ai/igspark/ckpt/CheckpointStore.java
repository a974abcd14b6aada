package ai.igspark.ckpt;

import ai.igspark.data.ExponentialBackoff;
import ai.igspark.data.Sha256;
import ai.igspark.metrics.MetricsRecord;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileContext;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Checkpoints of one run on any Hadoop FileSystem (docs/ARCHITECTURE.md §5).
 *
 * <pre>
 * checkpoints/step-00050000.attempt-3f9c0a12d4e1/   ranks write here (CheckpointWriter)
 * checkpoints/step-00050000/                        the committed checkpoint: files, state.json,
 *                                                   MANIFEST.json (written last)
 * checkpoints/LATEST                                "step-00050000", replaced atomically
 * </pre>
 *
 * <p>Commit protocol (driver, {@link #commit}): verify the reported files in the attempt
 * directory, write state.json, write MANIFEST.json (temp + rename), rename the attempt directory
 * to its final name, then replace LATEST with {@code FileContext.rename(tmp, LATEST, OVERWRITE)}
 * ({@code FileSystem.rename} returns false on an existing target). Each stage is idempotent, so a
 * transient {@link IOException} retries the whole commit from where the last try stopped, up to
 * {@link CommitPolicy#retries()} times. Only LATEST makes a step the one resumed from; a directory
 * without a valid MANIFEST is never loaded; attempt directories are never loaded.
 *
 * <p>Fencing ({@link #fencedBy}, docs/checkpoints.md "Run lock"): a store of a driver that holds
 * the run lock checks it before every rename into place, every move of LATEST, retention and
 * attempt removal, so a driver that lost the lock never changes what the new holder works with.
 * LATEST never moves backwards in a commit: one that would name an older step than it does is
 * refused.
 *
 * <p>About 600 lines, kept in one class on purpose: attempts, commit, fallback past broken
 * checkpoints, LATEST repair and retention all move the same directories under one set of
 * fencing and ordering rules, and reading them in one place is what makes those rules checkable.
 * Streamed verification of a checkpoint's files against its manifest is in {@link Checkpoint}.
 */
public final class CheckpointStore {
  public static final String MANIFEST = "MANIFEST.json";
  public static final String STATE = "state.json";
  public static final String LATEST = "LATEST";

  private static final System.Logger LOG = System.getLogger(CheckpointStore.class.getName());
  private static final Pattern STEP_DIR = Pattern.compile("step-(\\d{8,})");
  private static final Pattern ATTEMPT_DIR =
      Pattern.compile("step-(\\d{8,})\\.attempt-([0-9a-z]+)");
  private static final Pattern ATTEMPT_ID = Pattern.compile("[0-9a-z]{1,64}");
  private static final ObjectMapper JSON = new ObjectMapper();
  /** Commit retries wait at most this long (CommitPolicy#backoff doubles up to it). */
  private static final Duration MAX_COMMIT_BACKOFF = Duration.ofSeconds(60);
  private static final SecureRandom NONCES = new SecureRandom();
  private static final DateTimeFormatter BROKEN_STAMP =
      DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss");

  private final FileSystem fs;
  private final FileContext fc;
  private final Path dir;
  private final CommitPolicy policy;
  private volatile int lastCommitTries;
  /** The step LATEST was last seen (read or written) to name, -1 if none yet. */
  private volatile long knownLatest = -1;
  private volatile Fence fence = Fence.NONE;
  /** {@code checkpoint.keep_best}: the checkpoint retention also keeps; null when not set. */
  private volatile BestCheckpoint best;

  /** A store on {@code dir} (usually {@code <run>/checkpoints}); creates the directory. */
  public CheckpointStore(Path dir, Configuration conf, CommitPolicy policy) throws IOException {
    this.fs = dir.getFileSystem(conf);
    this.dir = fs.makeQualified(dir);
    this.fc = FileContext.getFileContext(this.dir.toUri(), conf);
    this.policy = policy;
    fs.mkdirs(this.dir);
  }

  public Path dir() {
    return dir;
  }

  /** This store, checking {@code fence} before each write only the run lock's holder may make. */
  public CheckpointStore fencedBy(Fence fence) {
    this.fence = fence;
    return this;
  }

  /** This store, also keeping the best checkpoint {@code best} names (RunDirectory#checkpoints). */
  CheckpointStore keepingBest(BestCheckpoint best) {
    this.best = best;
    return this;
  }

  /**
   * Hands a metrics record the driver appended to the keep_best rule, if any, so the best is
   * logged when it changes and kept even while the metrics file system fails.
   */
  public void onRecord(MetricsRecord record) {
    BestCheckpoint b = best;
    if (b != null) {
      b.accept(record);
    }
  }

  public CommitPolicy policy() {
    return policy;
  }

  /** {@code step-00050000} */
  public static String stepName(long step) {
    if (step < 0) {
      throw new IllegalArgumentException("negative step " + step);
    }
    return String.format("step-%08d", step);
  }

  /** The directory of committed step {@code step}. */
  public Path stepDir(long step) {
    return new Path(dir, stepName(step));
  }

  /** Creates a fresh attempt directory for {@code step} and returns its id (a random nonce). */
  public String newAttempt(long step) throws IOException {
    fence.check("start an attempt of " + stepName(step));
    byte[] nonce = new byte[6];
    NONCES.nextBytes(nonce);
    String id = HexFormat.of().formatHex(nonce);
    if (!fs.mkdirs(attemptDir(step, id))) {
      throw new IOException("cannot create " + attemptDir(step, id));
    }
    return id;
  }

  /** The attempt directory's URI, which the driver sends to the ranks. */
  public URI attemptUri(long step, String attemptId) {
    return attemptDir(step, attemptId).toUri();
  }

  /** A writer on an attempt directory created by {@link #newAttempt} (same JVM). */
  public CheckpointWriter writer(long step, String attemptId) throws IOException {
    Path attempt = attemptDir(step, attemptId);
    if (!fs.exists(attempt)) {
      throw new FileNotFoundException(attempt + " does not exist; call newAttempt first");
    }
    return new CheckpointWriter(fs, attempt);
  }

  Path attemptDir(long step, String attemptId) {
    if (attemptId == null || !ATTEMPT_ID.matcher(attemptId).matches()) {
      throw new IllegalArgumentException("bad attempt id '" + attemptId + "'");
    }
    return new Path(dir, stepName(step) + ".attempt-" + attemptId);
  }

  /**
   * Commits an attempt: verifies {@code files} (the entries the ranks reported) against the
   * attempt directory, writes state.json and MANIFEST.json, moves the directory to {@code
   * step-N}, replaces LATEST, then applies retention and removes stale attempts of steps ≤ N.
   *
   * @throws CheckpointIntegrityException a file is missing, unexpected, or differs (not retried)
   * @throws CheckpointCommitException transient I/O errors outlasted the retries; LATEST still
   *     names the previous checkpoint
   */
  public Checkpoint commit(long step, String attemptId, JsonNode state, Collection<FileEntry> files)
      throws IOException {
    Map<String, FileEntry> expected = new HashMap<>();
    for (FileEntry f : files) {
      FileEntry.checkWritable(f.name());
      if (expected.put(f.name(), f) != null) {
        throw new IllegalArgumentException("file " + f.name() + " reported twice");
      }
    }
    // Read before the first try: when the filesystem is failing, LATEST may be unreadable later.
    String before = knownLatest >= 0 ? stepName(knownLatest) : latestNameOrNone();
    IOException last = null;
    for (int attempt = 0; attempt <= policy.retries(); attempt++) {
      if (attempt > 0) {
        Duration wait = backoff(attempt);
        LOG.log(
            System.Logger.Level.WARNING,
            "commit of {0} failed ({1}); retry {2}/{3} in {4} ms",
            stepName(step), last, attempt, policy.retries(), wait.toMillis());
        sleep(wait);
      }
      lastCommitTries = attempt + 1;
      try {
        Checkpoint committed = commitOnce(step, attemptId, state, expected);
        tidyAfterCommit(step);
        return committed;
      } catch (CheckpointIntegrityException | RunLockLostException e) {
        throw e;
      } catch (IOException e) {
        last = e;
      }
    }
    throw new CheckpointCommitException(
        "commit of "
            + stepName(step)
            + " (attempt "
            + attemptId
            + ") failed after "
            + (policy.retries() + 1)
            + " tries; LATEST still names "
            + before
            + ". Last error: "
            + last,
        last);
  }

  /** How many tries the last {@link #commit} took (1 = no retry), for the driver's metrics. */
  public int lastCommitTries() {
    return lastCommitTries;
  }

  private Checkpoint commitOnce(
      long step, String attemptId, JsonNode state, Map<String, FileEntry> expected)
      throws IOException {
    fence.check("commit " + stepName(step));
    requireForward(step);
    Path attempt = attemptDir(step, attemptId);
    Path target = stepDir(step);
    CheckpointManifest manifest = readManifestOrNull(target);
    if (manifest == null || !manifest.attempt().equals(attemptId)) {
      if (!fs.exists(attempt)) {
        throw new CheckpointIntegrityException(
            attempt + " does not exist: nothing to commit for " + stepName(step));
      }
      List<FileEntry> entries = verifyAttempt(attempt, expected);
      byte[] stateBytes = JSON.writeValueAsBytes(state);
      SmallFiles.write(fs, new Path(attempt, STATE), stateBytes);
      entries.add(new FileEntry(STATE, stateBytes.length, Sha256.of(stateBytes)));
      entries.sort(Comparator.comparing(FileEntry::name));
      manifest =
          new CheckpointManifest(
              CheckpointManifest.FORMAT, step, attemptId, Instant.now().toString(), state, entries);
      // The manifest is the commit record: temp + rename, so it is complete or absent.
      SmallFiles.replace(fs, fc, new Path(attempt, MANIFEST), manifest.toBytes());
      fence.check("commit " + stepName(step));
      if (fs.exists(target)) {
        if (step == latestStepOrMinus1()) {
          throw new CheckpointIntegrityException(
              target + " is already the committed LATEST checkpoint; refusing to replace it with"
                  + " attempt " + attemptId);
        }
        // Complete but never made LATEST (an earlier commit gave up after its rename) or broken:
        // either way not the checkpoint anyone resumes from.
        LOG.log(System.Logger.Level.WARNING, "replacing uncommitted {0}", target);
        fs.delete(target, true);
      }
      fc.rename(attempt, target);
    }
    requireForward(step);
    fence.check("move " + LATEST + " to " + stepName(step));
    replaceLatest(step);
    // Committed: nothing after this line may throw, or a retry would misreport LATEST.
    return new Checkpoint(fs, target, manifest);
  }

  /** Checks the attempt holds exactly the reported files, with their sizes (and SHA-256). */
  private List<FileEntry> verifyAttempt(Path attempt, Map<String, FileEntry> expected)
      throws IOException {
    Map<String, FileStatus> present = new HashMap<>();
    for (FileStatus s : fs.listStatus(attempt)) {
      String name = s.getPath().getName();
      if (!name.equals(STATE) && !name.startsWith(MANIFEST) && !name.contains(".tmp-")) {
        present.put(name, s);
      }
    }
    TreeSet<String> unreported = new TreeSet<>(ResumeFiles.WRITTEN_BY_RANKS);
    unreported.removeAll(expected.keySet());
    if (!unreported.isEmpty()) {
      throw new CheckpointIntegrityException(
          attempt + ": incomplete checkpoint: no rank reported " + unreported
              + " (a resume needs " + ResumeFiles.REQUIRED + ")");
    }
    TreeSet<String> missing = new TreeSet<>(expected.keySet());
    missing.removeAll(present.keySet());
    TreeSet<String> extra = new TreeSet<>(present.keySet());
    extra.removeAll(expected.keySet());
    if (!missing.isEmpty() || !extra.isEmpty()) {
      throw new CheckpointIntegrityException(
          attempt + ": files missing " + missing + ", files not reported by any rank " + extra);
    }
    List<FileEntry> entries = new ArrayList<>();
    for (FileEntry f : expected.values()) {
      long size = present.get(f.name()).getLen();
      if (size != f.size()) {
        throw new CheckpointIntegrityException(
            attempt + "/" + f.name() + ": size " + size + ", but the rank reported " + f.size());
      }
      if (policy.verifyOnCommit()) {
        String actual = hash(new Path(attempt, f.name()));
        if (!actual.equals(f.sha256())) {
          throw new CheckpointIntegrityException(
              attempt + "/" + f.name() + ": SHA-256 " + actual + ", but the rank reported "
                  + f.sha256());
        }
      }
      entries.add(f);
    }
    return entries;
  }

  /**
   * Refuses a commit that would move LATEST backwards: LATEST names a newer step whose directory
   * exists (another driver committed it, e.g. one that took the lock over from this one).
   */
  private void requireForward(long step) throws IOException {
    OptionalLong named = readLatest();
    if (named.isPresent() && named.getAsLong() > step && fs.exists(stepDir(named.getAsLong()))) {
      throw new CheckpointIntegrityException(
          dir + "/" + LATEST + " names " + stepName(named.getAsLong()) + ", newer than "
              + stepName(step) + ": refusing to move it backwards (was the newer step committed"
              + " by another driver?)");
    }
  }

  private void replaceLatest(long step) throws IOException {
    SmallFiles.replace(
        fs, fc, new Path(dir, LATEST), (stepName(step) + "\n").getBytes(StandardCharsets.UTF_8));
    knownLatest = step;
  }

  /** Retention and stale-attempt removal: failures here do not undo the commit, only log. */
  private void tidyAfterCommit(long step) {
    try {
      prune();
      fence.check("remove the attempts of steps up to " + stepName(step));
      for (FileStatus s : fs.listStatus(dir)) {
        Matcher m = ATTEMPT_DIR.matcher(s.getPath().getName());
        if (m.matches() && Long.parseLong(m.group(1)) <= step) {
          fs.delete(s.getPath(), true);
        }
      }
    } catch (IOException e) {
      LOG.log(System.Logger.Level.WARNING, "after committing " + stepName(step)
          + ": retention/cleanup failed, will retry at the next commit", e);
    }
  }

  /**
   * Keeps the newest {@link CommitPolicy#keep()} committed checkpoints, every pinned step, the
   * one LATEST names and, with {@code keep_best}, the best evaluated one ({@link BestCheckpoint});
   * deletes the other committed step directories. Returns the deleted steps. When the metrics
   * that name the best cannot be read, it deletes nothing and throws.
   */
  public List<Long> prune() throws IOException {
    fence.check("apply checkpoint retention");
    long latest = latestStepOrMinus1();
    List<Long> committed = committedSteps();
    BestCheckpoint b = best;
    long bestStep = b == null ? -1 : b.among(committed).map(BestCheckpoint.Best::step).orElse(-1L);
    List<Long> deleted = new ArrayList<>();
    for (int i = 0; i < committed.size(); i++) {
      long step = committed.get(committed.size() - 1 - i); // newest first
      boolean keep = i < policy.keep() || policy.pins().contains(step) || step == latest
          || step == bestStep;
      if (!keep) {
        fs.delete(stepDir(step), true);
        deleted.add(step);
      }
    }
    return deleted;
  }

  /**
   * Deletes every attempt directory (none is ever loaded) and temp files a crashed commit left.
   * Call it only when no ranks are writing: at driver start and before resubmitting a failed
   * segment. Returns the number of attempt directories removed.
   */
  public int cleanAttempts() throws IOException {
    fence.check("remove uncommitted attempts");
    int n = 0;
    for (FileStatus s : fs.listStatus(dir)) {
      String name = s.getPath().getName();
      if (ATTEMPT_DIR.matcher(name).matches()) {
        fs.delete(s.getPath(), true);
        n++;
      } else if (name.startsWith(LATEST + ".tmp-")) {
        fs.delete(s.getPath(), false);
      }
    }
    return n;
  }

  /** Steps with a step directory holding a readable MANIFEST, ascending (no checksum check). */
  public List<Long> committedSteps() throws IOException {
    List<Long> steps = new ArrayList<>();
    for (long step : stepDirs()) {
      if (readManifestOrNull(stepDir(step)) != null) {
        steps.add(step);
      }
    }
    return steps;
  }

  private List<Long> stepDirs() throws IOException {
    List<Long> steps = new ArrayList<>();
    if (!fs.exists(dir)) {
      return steps;
    }
    for (FileStatus s : fs.listStatus(dir)) {
      Matcher m = STEP_DIR.matcher(s.getPath().getName());
      if (s.isDirectory() && m.matches()) {
        steps.add(Long.parseLong(m.group(1)));
      }
    }
    steps.sort(null);
    return steps;
  }

  /**
   * The checkpoint to resume from, read-only: the one LATEST names, verified (manifest, files,
   * sizes, state, and SHA-256 if {@link CommitPolicy#verifyOnLoad()}). If LATEST is missing or
   * names a broken checkpoint, the newest step directory that verifies is returned instead, and a
   * warning says so; nothing is moved or rewritten ({@link #recover} does that). Empty when there
   * is no checkpoint at all.
   *
   * @throws NoVerifiedCheckpointException checkpoints exist but none verifies
   */
  public Optional<Checkpoint> latest() throws IOException {
    Choice choice = choose();
    if (choice.checkpoint().isPresent() && !choice.rejected().isEmpty()) {
      LOG.log(System.Logger.Level.WARNING, "{0}; using {1}",
          choice.rejected(), choice.checkpoint().get().dir());
    }
    return choice.checkpoint();
  }

  /** What {@link #recover} found and did. */
  public record Recovery(Optional<Checkpoint> checkpoint, List<BrokenCheckpoint> movedAside) {}

  /**
   * {@link #latest()} for the driver, which then writes to the store: every checkpoint found broken
   * on the way to the newest one that verifies is moved aside to {@code step-N.broken-<UTC time>}
   * (never deleted), and LATEST is repaired to name the one returned, so the steps after it are
   * retrained and commit normally. When no checkpoint verifies nothing is moved.
   *
   * @throws NoVerifiedCheckpointException checkpoints exist but none verifies
   */
  public Recovery recover() throws IOException {
    Choice choice = choose();
    if (choice.checkpoint().isEmpty()) {
      return new Recovery(Optional.empty(), List.of());
    }
    long step = choice.checkpoint().get().step();
    boolean repairLatest =
        choice.latestNamed().isEmpty() || choice.latestNamed().getAsLong() != step;
    if (!choice.rejected().isEmpty() || repairLatest) {
      fence.check("move broken checkpoints aside and repair " + LATEST);
    }
    List<BrokenCheckpoint> moved = new ArrayList<>();
    for (Rejected r : choice.rejected()) {
      if (fs.exists(stepDir(r.step()))) {
        moved.add(moveAside(r.step(), r.reason()));
      }
    }
    if (repairLatest) {
      LOG.log(System.Logger.Level.WARNING, "{0}: LATEST named {1}; repaired to name {2}",
          dir, choice.latestNamed().isPresent()
              ? stepName(choice.latestNamed().getAsLong()) : "no checkpoint", stepName(step));
      replaceLatest(step);
    }
    return new Recovery(choice.checkpoint(), List.copyOf(moved));
  }

  /** A checkpoint that failed verification, and why. */
  private record Rejected(long step, String reason) {
    @Override
    public String toString() {
      return stepName(step) + " is broken: " + reason;
    }
  }

  /** The checkpoint chosen (empty: the store has none), what LATEST named, and what failed. */
  private record Choice(
      Optional<Checkpoint> checkpoint, OptionalLong latestNamed, List<Rejected> rejected) {}

  /** LATEST's step first, then every other step directory, newest first: the first that verifies. */
  private Choice choose() throws IOException {
    OptionalLong named = readLatest();
    List<Long> order = new ArrayList<>();
    named.ifPresent(order::add);
    List<Long> steps = stepDirs();
    for (int i = steps.size() - 1; i >= 0; i--) {
      if (named.isEmpty() || steps.get(i) != named.getAsLong()) {
        order.add(steps.get(i));
      }
    }
    List<Rejected> rejected = new ArrayList<>();
    for (long step : order) {
      try {
        return new Choice(Optional.of(verified(step)), named, rejected);
      } catch (CheckpointIntegrityException e) {
        rejected.add(new Rejected(step, e.getMessage()));
      }
    }
    if (order.isEmpty()) {
      return new Choice(Optional.empty(), named, rejected);
    }
    StringBuilder why = new StringBuilder();
    for (Rejected r : rejected) {
      why.append("\n  ").append(stepName(r.step()))
          .append(named.isPresent() && named.getAsLong() == r.step() ? " (named by LATEST)" : "")
          .append(": ").append(r.reason());
    }
    throw new NoVerifiedCheckpointException(
        dir + ": no checkpoint verifies, so the run cannot resume (nothing was moved or"
            + " deleted):" + why + "\nRestore a good copy of one of them, or move " + dir
            + " aside to train again from step 0.");
  }

  /** Renames a broken step directory to {@code step-N.broken-<UTC time>}; never deletes it. */
  private BrokenCheckpoint moveAside(long step, String reason) throws IOException {
    Path from = stepDir(step);
    String base = stepName(step) + ".broken-" + BROKEN_STAMP.format(ZonedDateTime.now(ZoneOffset.UTC));
    Path to = new Path(dir, base);
    for (int n = 2; fs.exists(to); n++) {
      to = new Path(dir, base + "-" + n);
    }
    if (!fs.rename(from, to)) {
      throw new IOException("cannot move the broken checkpoint " + from + " aside to " + to);
    }
    LOG.log(System.Logger.Level.WARNING, "checkpoint {0} is broken ({1}); moved aside to {2}",
        from, reason, to);
    return new BrokenCheckpoint(step, reason, to.toString());
  }

  /** Committed step {@code step}, its manifest checked (and its files, per the policy). */
  public Checkpoint open(long step) throws IOException {
    return verified(step);
  }

  private Checkpoint verified(long step) throws IOException {
    return CheckpointChecks.inspect(fs, stepDir(step), step, policy.verifyOnLoad());
  }

  private CheckpointManifest readManifestOrNull(Path stepDir) throws IOException {
    try {
      return CheckpointChecks.readManifest(fs, stepDir);
    } catch (CheckpointIntegrityException e) {
      return null;
    }
  }

  /** The step LATEST names, if it exists and reads as {@code step-N}. */
  public OptionalLong readLatest() throws IOException {
    Path p = new Path(dir, LATEST);
    try (InputStream in = fs.open(p)) {
      String text = new String(in.readNBytes(200), StandardCharsets.UTF_8).trim();
      Matcher m = STEP_DIR.matcher(text);
      if (m.matches()) {
        knownLatest = Long.parseLong(m.group(1));
        return OptionalLong.of(knownLatest);
      }
      LOG.log(System.Logger.Level.WARNING, "{0} holds ''{1}'', not step-N", p, text);
      return OptionalLong.empty();
    } catch (FileNotFoundException e) {
      return OptionalLong.empty();
    }
  }

  private long latestStepOrMinus1() throws IOException {
    return readLatest().orElse(-1);
  }

  private String latestNameOrNone() {
    try {
      OptionalLong s = readLatest();
      return s.isPresent() ? stepName(s.getAsLong()) : "no checkpoint";
    } catch (IOException e) {
      return "(unreadable: " + e.getMessage() + ")";
    }
  }

  private String hash(Path p) throws IOException {
    try (InputStream in = fs.open(p)) {
      return Sha256.of(in);
    }
  }

  private Duration backoff(int retry) {
    return new ExponentialBackoff(policy.backoff(), MAX_COMMIT_BACKOFF).before(retry);
  }

  private static void sleep(Duration d) throws InterruptedIOException {
    try {
      Thread.sleep(d.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while backing off a checkpoint commit");
    }
  }
}
