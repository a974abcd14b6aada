package ai.igspark.ckpt;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileAlreadyExistsException;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RawLocalFileSystem;
import org.apache.hadoop.ipc.RemoteException;

/**
 * One training driver per run directory, on any Hadoop FileSystem (docs/checkpoints.md "Run
 * lock").
 *
 * <pre>
 * lock/epoch-00000007            the holder: host, pid, Spark application, start time, token;
 *                                its modification time is the heartbeat
 * lock/epoch-00000006.released   what an earlier driver left when it ended normally
 * </pre>
 *
 * <p>The entry with the highest epoch decides. A driver takes the lock by creating {@code
 * epoch-(top+1)} exclusively (HDFS: {@code create(path, false)}, one NameNode operation; the local
 * disk: {@code O_CREAT|O_EXCL}), so of two drivers that saw the same top exactly one succeeds, and
 * the other looks again and is refused. A top entry that is not released belongs to a live driver
 * unless its process is gone (same host, pid not running or reused) or its heartbeat is older than
 * the timeout; such a stale lock is taken over with a log line, and the stale file removed.
 *
 * <p>The epoch is the fencing token: every write only the holder may make checks, just before it,
 * that this driver's entry is still there and nothing newer exists ({@link #check}). A driver that
 * was paused past the timeout and lost the lock therefore never commits, moves LATEST or deletes
 * anything after a newer driver took over. The check and the write are two operations, not one:
 * a driver whose last heartbeat is old renews it and waits briefly before writing, so a takeover
 * decided on the old heartbeat is seen first.
 *
 * <p>About 530 lines, one class on purpose: taking, renewing, checking, taking over and releasing
 * the lock are one protocol over one directory of entries, and its races are only reviewable when
 * every step of it is on the same page. The two file-system primitives it needs (an exclusive
 * create on the local disk, on HDFS) are the only parts that differ per file system.
 */
public final class RunLock implements Fence, AutoCloseable {
  /** The lock's directory under the run. */
  public static final String DIR = "lock";
  /** Hadoop configuration keys (spark.hadoop.* from Spark) overriding the default timing. */
  public static final String HEARTBEAT_MS = "igspark.run-lock.heartbeat-ms";
  public static final String TIMEOUT_MS = "igspark.run-lock.timeout-ms";

  private static final System.Logger LOG = System.getLogger(RunLock.class.getName());
  private static final Pattern ENTRY = Pattern.compile("epoch-(\\d{8,})(\\.released)?");
  private static final String RELEASED = ".released";
  /** How long a reader waits for a lock file that is being written to get its content. */
  private static final long UNREADABLE_WAIT_MS = 2000;

  /** How often the holder renews its heartbeat, and after how long without one a lock is stale. */
  public record Timing(Duration heartbeat, Duration timeout) {
    public static final Timing DEFAULT = new Timing(Duration.ofSeconds(10), Duration.ofSeconds(60));

    public Timing {
      if (heartbeat.isNegative() || heartbeat.isZero()
          || timeout.compareTo(heartbeat.multipliedBy(2)) < 0) {
        throw new IllegalArgumentException(
            "run lock: the timeout (" + timeout.toMillis() + " ms) must be at least twice the"
                + " heartbeat (" + heartbeat.toMillis() + " ms), which must be positive");
      }
    }

    /** The default, or what {@link #HEARTBEAT_MS} and {@link #TIMEOUT_MS} say. */
    public static Timing of(Configuration conf) {
      return new Timing(
          Duration.ofMillis(conf.getLong(HEARTBEAT_MS, DEFAULT.heartbeat().toMillis())),
          Duration.ofMillis(conf.getLong(TIMEOUT_MS, DEFAULT.timeout().toMillis())));
    }
  }

  /** One file of the lock directory. */
  private record Entry(long epoch, boolean released, Path path) {}

  /** A held entry as a contender sees it: whose it is, and why it is stale (null: live). */
  private record Claim(Entry entry, Optional<LockOwner> owner, long heartbeatAgeMs, String stale) {}

  private final FileSystem fs;
  private final Path runRoot;
  private final Path file;
  private final LockOwner owner;
  private final Timing timing;
  private final String tookOverFrom;
  private final ScheduledExecutorService heartbeat;
  private volatile long lastBeatMillis;
  private volatile String lost;
  private volatile boolean beatFailing;
  private boolean closed;

  private RunLock(FileSystem fs, Path runRoot, Path file, LockOwner owner, Timing timing,
      String tookOverFrom) {
    this.fs = fs;
    this.runRoot = runRoot;
    this.file = file;
    this.owner = owner;
    this.timing = timing;
    this.tookOverFrom = tookOverFrom;
    this.lastBeatMillis = System.currentTimeMillis();
    this.heartbeat = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "igspark-run-lock-heartbeat");
      t.setDaemon(true);
      return t;
    });
  }

  /**
   * Takes the lock of the run directory {@code runRoot} for Spark application {@code
   * applicationId} and starts its heartbeat. {@code fs} writes without checksum files.
   *
   * @throws RunLockedException a live driver holds it
   */
  static RunLock acquire(FileSystem fs, Path runRoot, String applicationId, Timing timing)
      throws IOException {
    Path dir = new Path(runRoot, DIR);
    fs.mkdirs(dir);
    for (int round = 0; round < 50; round++) {
      Optional<Entry> top = top(fs, dir);
      Claim previous = null;
      if (top.isPresent() && !top.get().released()) {
        previous = claim(fs, top.get(), timing);
        if (previous != null && previous.stale() == null) {
          throw new RunLockedException(refusal(runRoot, previous, timing));
        }
      }
      long epoch = top.map(e -> e.epoch() + 1).orElse(1L);
      LockOwner me = LockOwner.current(epoch, applicationId);
      Path file = new Path(dir, name(epoch));
      if (!createExclusive(fs, file, me.toJson())) {
        continue; // another driver took this epoch first: look again
      }
      String from = previous == null ? null
          : previous.owner().map(LockOwner::describe).orElse("an unknown driver") + ": "
              + previous.stale();
      RunLock lock = new RunLock(fs, runRoot, file, me, timing, from);
      if (from != null) {
        LOG.log(System.Logger.Level.WARNING,
            "took over the stale run lock of {0} from {1}; this driver holds it now (fencing"
                + " epoch {2})", runRoot, from, epoch);
      }
      lock.removeEntriesBefore(epoch);
      lock.start();
      return lock;
    }
    throw new IOException("could not take the run lock in " + dir
        + ": its entries kept changing under 50 tries (many drivers starting at once?)");
  }

  /**
   * Refuses {@code action} when a live driver holds the lock of {@code runRoot}: for writers that
   * take no lock themselves (appending to a finished run's metrics).
   */
  static void requireNoLiveHolder(FileSystem fs, Path runRoot, Timing timing, String action)
      throws IOException {
    Optional<Entry> top = top(fs, new Path(runRoot, DIR));
    if (top.isEmpty() || top.get().released()) {
      return;
    }
    Claim c = claim(fs, top.get(), timing);
    if (c != null && c.stale() == null) {
      throw new RunLockedException("cannot " + action + ": " + refusal(runRoot, c, timing));
    }
  }

  /** The fencing epoch: one more than every earlier holder's. */
  public long epoch() {
    return owner.epoch();
  }

  /** This driver's lock file. */
  public Path file() {
    return file;
  }

  public LockOwner owner() {
    return owner;
  }

  /** Whose stale lock this one replaced, and why it was stale; empty if it was free. */
  public Optional<String> tookOverFrom() {
    return Optional.ofNullable(tookOverFrom);
  }

  /** Why this driver lost the lock, once it knows. */
  public Optional<String> lostBecause() {
    return Optional.ofNullable(lost);
  }

  /**
   * The fencing check before a write only the holder may make: this driver's entry exists with its
   * token and no newer entry does. An I/O error while looking is thrown as it is (a commit retries
   * it); a lost lock is a {@link RunLockLostException}.
   */
  @Override
  public void check(String action) throws IOException {
    requireNotLost(action);
    confirmOwnership(action);
    if (heartbeatIsOld()) {
      // Others may have seen this driver's heartbeat as old (a paused JVM, a partition): renew
      // it, give a driver that judged it by the old time a moment to finish its takeover, then
      // look again before writing.
      renew();
      sleep(Math.min(timing.heartbeat().toMillis(), 2000));
      confirmOwnership(action);
    }
  }

  /**
   * The check for frequent writes (metrics appends): without I/O while this driver's heartbeat is
   * fresh; with the full ownership check when it is older than half the timeout, as after a
   * paused JVM wakes up, when the heartbeat thread may not have looked yet and another driver may
   * already hold the run.
   */
  public void requireNotLostOrPaused(String action) throws IOException {
    requireNotLost(action);
    if (heartbeatIsOld()) {
      confirmOwnership(action);
    }
  }

  /** Whether this driver's last heartbeat is older than half the timeout (it may look stale). */
  private boolean heartbeatIsOld() {
    return System.currentTimeMillis() - lastBeatMillis > timing.timeout().toMillis() / 2;
  }

  /** The check without I/O, for frequent writes: fails once this driver knows it lost the lock. */
  public void requireNotLost(String action) throws RunLockLostException {
    String why = lost;
    if (why != null) {
      throw new RunLockLostException(
          "this driver no longer holds the run lock of " + runRoot + " (" + why + "), so it does"
              + " not " + action + ": another driver owns the run now. This driver stops; nothing"
              + " was committed after the loss.");
    }
  }

  private void confirmOwnership(String action) throws IOException {
    String problem = ownershipProblem();
    if (problem == null) {
      Optional<LockOwner> now = LockOwner.fromJson(read(fs, file));
      if (now.isEmpty() || !now.get().token().equals(owner.token())) {
        problem = "its lock file " + file + " no longer holds this driver's token";
      }
    }
    if (problem != null) {
      markLost(problem);
      requireNotLost(action);
    }
  }

  /** Why this driver does not hold the lock (a newer entry, its own gone), or null if it does. */
  private String ownershipProblem() throws IOException {
    Entry newest = null;
    boolean mine = false;
    for (Entry e : entries(fs, file.getParent())) {
      mine |= e.epoch() == owner.epoch() && !e.released();
      if (e.epoch() > owner.epoch()) {
        newest = e;
      }
    }
    if (newest != null) {
      String who;
      try {
        who = LockOwner.fromJson(read(fs, newest.path())).map(LockOwner::describe)
            .orElse("another driver");
      } catch (IOException e) {
        who = "another driver";
      }
      return who + " took it over (fencing epoch " + newest.epoch() + ")";
    }
    return mine ? null : "its lock file " + file + " was removed";
  }

  /** Whether this driver still holds the lock; marks it lost if not. */
  private boolean stillHeld() throws IOException {
    String problem = ownershipProblem();
    if (problem != null) {
      markLost(problem);
    }
    return problem == null;
  }

  private void markLost(String why) {
    if (lost == null) {
      lost = why;
      LOG.log(System.Logger.Level.ERROR,
          "this driver lost the run lock of {0}: {1}. It commits, moves and deletes nothing more"
              + " in the run directory.", runRoot, why);
    }
  }

  private void start() {
    long every = timing.heartbeat().toMillis();
    heartbeat.scheduleWithFixedDelay(this::beat, every, every, TimeUnit.MILLISECONDS);
  }

  /** One heartbeat: confirm the lock is still this driver's, then renew its time. */
  private void beat() {
    if (lost != null) {
      return;
    }
    try {
      if (!stillHeld()) {
        return;
      }
      renew();
      if (beatFailing) {
        LOG.log(System.Logger.Level.INFO, "run lock heartbeat of {0} renewed again", file);
      }
      beatFailing = false;
    } catch (FileNotFoundException e) {
      markLost("its lock file " + file + " was removed");
    } catch (IOException | RuntimeException e) {
      if (!beatFailing) {
        LOG.log(System.Logger.Level.WARNING, "cannot renew the run lock heartbeat of " + file
            + " (" + e + "); trying again every " + timing.heartbeat().toMillis() + " ms");
      }
      beatFailing = true;
    }
  }

  private void renew() throws IOException {
    long now = System.currentTimeMillis();
    fs.setTimes(file, now, -1);
    lastBeatMillis = now;
  }

  /** Stops the heartbeat without releasing: what a crash or a paused JVM leaves (tests). */
  void stopHeartbeat() {
    heartbeat.shutdownNow();
  }

  /** Stops the heartbeat and marks the lock released ({@code epoch-N.released}), unless lost. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    heartbeat.shutdownNow();
    try {
      heartbeat.awaitTermination(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (lost != null) {
      return;
    }
    try {
      if (stillHeld()
          && !fs.rename(file, new Path(file.getParent(), file.getName() + RELEASED))) {
        throw new IOException("rename returned false");
      }
    } catch (IOException e) {
      LOG.log(System.Logger.Level.WARNING, "could not release the run lock " + file + " (" + e
          + "); the next driver takes it over once it is stale");
    }
  }

  private void removeEntriesBefore(long epoch) {
    try {
      for (Entry e : entries(fs, file.getParent())) {
        if (e.epoch() < epoch) {
          fs.delete(e.path(), false);
        }
      }
    } catch (IOException e) {
      LOG.log(System.Logger.Level.WARNING, "could not remove older run lock entries in "
          + file.getParent() + " (" + e + "); they are ignored");
    }
  }

  private static String name(long epoch) {
    return String.format("epoch-%08d", epoch);
  }

  private static List<Entry> entries(FileSystem fs, Path dir) throws IOException {
    FileStatus[] all;
    try {
      all = fs.listStatus(dir);
    } catch (FileNotFoundException e) {
      return List.of();
    }
    List<Entry> out = new ArrayList<>();
    for (FileStatus s : all) {
      Matcher m = ENTRY.matcher(s.getPath().getName());
      if (s.isFile() && m.matches()) {
        out.add(new Entry(Long.parseLong(m.group(1)), m.group(2) != null, s.getPath()));
      }
    }
    out.sort(Comparator.comparingLong(Entry::epoch).thenComparing(Entry::released));
    return out;
  }

  private static Optional<Entry> top(FileSystem fs, Path dir) throws IOException {
    List<Entry> all = entries(fs, dir);
    return all.isEmpty() ? Optional.empty() : Optional.of(all.get(all.size() - 1));
  }

  /** The holder of {@code e} and whether it is stale; null if the entry vanished meanwhile. */
  private static Claim claim(FileSystem fs, Entry e, Timing timing) throws IOException {
    try {
      Optional<LockOwner> owner = LockOwner.fromJson(read(fs, e.path()));
      long deadline = System.currentTimeMillis() + UNREADABLE_WAIT_MS;
      while (owner.isEmpty() && System.currentTimeMillis() < deadline) {
        sleep(50); // a driver writing its lock file right now
        owner = LockOwner.fromJson(read(fs, e.path()));
      }
      long age = System.currentTimeMillis() - fs.getFileStatus(e.path()).getModificationTime();
      String stale = null;
      if (owner.isPresent() && owner.get().processGoneOnThisHost()) {
        stale = "its process (pid " + owner.get().pid() + ") is no longer running on this host";
      } else if (age > timing.timeout().toMillis()) {
        stale = String.format("its last heartbeat was %.0f s ago (timeout %d s)", age / 1000.0,
            timing.timeout().toSeconds());
      }
      return new Claim(e, owner, age, stale);
    } catch (FileNotFoundException gone) {
      return null; // released or taken over while we looked: look again
    }
  }

  private static String refusal(Path runRoot, Claim c, Timing timing) {
    String who = c.owner().map(LockOwner::describe)
        .orElse("a driver whose lock file is still being written (or unreadable)");
    return String.format(
        "run directory %s is in use by another igspark train driver: %s, last heartbeat %.0f s"
            + " ago, fencing epoch %d (lock file %s). One driver per run directory: wait for it"
            + " to end, or stop it. A lock whose driver has gone is taken over by the next start:"
            + " at once on the same host, otherwise %d s after its last heartbeat.",
        runRoot, who, Math.max(0, c.heartbeatAgeMs()) / 1000.0, c.entry().epoch(),
        c.entry().path(), timing.timeout().toSeconds());
  }

  /**
   * Creates {@code file} holding {@code bytes} only if nothing is there. Returns false when it
   * already exists: another driver created it first.
   */
  private static boolean createExclusive(FileSystem fs, Path file, byte[] bytes)
      throws IOException {
    if (fs instanceof RawLocalFileSystem raw) {
      // Hadoop's local create(path, false) checks exists() first and then opens: not atomic.
      try (FileChannel ch = FileChannel.open(raw.pathToFile(file).toPath(),
          StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
        ByteBuffer b = ByteBuffer.wrap(bytes);
        while (b.hasRemaining()) {
          ch.write(b);
        }
        ch.force(true);
        return true;
      } catch (java.nio.file.FileAlreadyExistsException e) {
        return false;
      }
    }
    FSDataOutputStream out;
    try {
      out = fs.create(file, false);
    } catch (IOException e) {
      if (alreadyExists(e)) {
        return false;
      }
      throw e;
    }
    try (out) {
      out.write(bytes);
      out.hsync();
    }
    return true;
  }

  /** HDFS reports a lost create race as FileAlreadyExists or AlreadyBeingCreated. */
  private static boolean alreadyExists(IOException e) {
    if (e instanceof FileAlreadyExistsException) {
      return true;
    }
    String name = e instanceof RemoteException r ? r.getClassName() : e.getClass().getName();
    return name.endsWith(".AlreadyBeingCreatedException")
        || name.endsWith(".FileAlreadyExistsException");
  }

  private static byte[] read(FileSystem fs, Path p) throws IOException {
    try (InputStream in = fs.open(p)) {
      return in.readNBytes(64 * 1024);
    }
  }

  private static void sleep(long millis) throws InterruptedIOException {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while waiting on the run lock");
    }
  }

  /**
   * Keeps the lock a driver takes part-way through its start-up and releases it when closed, so
   * a driver that fails anywhere after taking it leaves it released.
   */
  public static final class Holder implements AutoCloseable {
    private RunLock lock;

    /** Takes the lock of {@code run} for this driver ({@link RunDirectory#lock}); returns run. */
    public RunDirectory hold(RunDirectory run, String applicationId) throws IOException {
      if (lock != null) {
        throw new IllegalStateException("this driver already holds " + lock.file());
      }
      lock = run.lock(applicationId);
      return run;
    }

    /**
     * Throws a {@link RunLockLostException} caused by {@code failure} if this driver lost the lock
     * (after {@link #close}, which looks): an error a driver meets once another took the run over
     * (its attempt directory removed under it, say) is reported as that loss.
     */
    public void throwIfLost(Exception failure) throws RunLockLostException {
      if (lock == null || lock.lost == null || failure instanceof RunLockLostException) {
        return;
      }
      try {
        lock.requireNotLost("go on");
      } catch (RunLockLostException e) {
        e.initCause(failure);
        throw e;
      }
    }

    @Override
    public void close() {
      if (lock != null) {
        lock.close();
      }
    }
  }
}
