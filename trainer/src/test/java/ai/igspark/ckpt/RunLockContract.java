package ai.igspark.ckpt;

import static ai.igspark.ckpt.CheckpointFixtures.files;
import static ai.igspark.ckpt.CheckpointFixtures.state;
import static ai.igspark.ckpt.CheckpointFixtures.write;
import static ai.igspark.ckpt.CheckpointFixtures.writeAndCommit;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

/**
 * What the run lock promises on any Hadoop FileSystem (docs/checkpoints.md "Run lock"); run on the
 * local disk ({@link RunLockLocalTest}) and on MiniDFS ({@link RunLockHdfsTest}).
 */
abstract class RunLockContract {
  /** Short enough for tests: heartbeat 100 ms, stale after 800 ms without one. */
  static final RunLock.Timing FAST =
      new RunLock.Timing(Duration.ofMillis(100), Duration.ofMillis(800));

  /**
   * For the race: a timeout no scheduling delay reaches, so a winner that a loaded machine keeps
   * from beating for 800 ms is not taken over as stale in the same round (that takeover is right,
   * and tested on its own; here it would count as a second winner).
   */
  static final RunLock.Timing RACE =
      new RunLock.Timing(Duration.ofMillis(100), Duration.ofSeconds(60));

  /** The filesystem's client configuration. */
  abstract Configuration conf();

  /** A fresh run directory's location (a Hadoop URI) for {@code name}. */
  abstract String location(String name);

  /** How many rounds the racing test runs. */
  abstract int raceRounds();

  private Configuration fastConf() {
    Configuration c = new Configuration(conf());
    c.setLong(RunLock.HEARTBEAT_MS, FAST.heartbeat().toMillis());
    c.setLong(RunLock.TIMEOUT_MS, FAST.timeout().toMillis());
    return c;
  }

  private RunDirectory run(TestInfo t) throws IOException {
    return RunDirectory.open(location(t.getTestMethod().orElseThrow().getName()), fastConf());
  }

  private static RunLock acquire(RunDirectory run, String app) throws IOException {
    return acquire(run, app, FAST);
  }

  private static RunLock acquire(RunDirectory run, String app, RunLock.Timing timing)
      throws IOException {
    return RunLock.acquire(SmallFiles.control(run.fs()), run.root(), app, timing);
  }

  private static FileSystem control(RunDirectory run) {
    return SmallFiles.control(run.fs());
  }

  private static Path lockFile(RunDirectory run, long epoch, boolean released) {
    return new Path(run.root(), String.format("lock/epoch-%08d%s", epoch,
        released ? ".released" : ""));
  }

  /** Writes a lock file as a driver that is not this JVM would have left it. */
  private static void forgeLock(RunDirectory run, long epoch, String host, long pid,
      long modifiedMillis) throws IOException {
    LockOwner other = new LockOwner(epoch, "forged-token", host, pid, "", "app-other",
        "2026-01-01T00:00:00Z");
    Path p = lockFile(run, epoch, false);
    SmallFiles.write(run.fs(), p, other.toJson());
    control(run).setTimes(p, modifiedMillis, -1);
  }

  @Test
  void secondDriverIsRefusedNamingTheHolder(TestInfo t) throws Exception {
    RunDirectory run = run(t);
    try (RunLock first = acquire(run, "app-first")) {
      RunLockedException e =
          assertThrows(RunLockedException.class, () -> acquire(run, "app-second"));
      String m = e.getMessage();
      assertTrue(m.contains(run.root() + " is in use by another igspark train driver"), m);
      assertTrue(m.contains("pid " + ProcessHandle.current().pid() + " on host "
          + LockOwner.localHost()), m);
      assertTrue(m.contains("Spark application app-first"), m);
      assertTrue(m.contains("fencing epoch 1"), m);
      assertTrue(m.contains(first.file().toString()), m);
      assertEquals(1, first.epoch());
    }
  }

  @Test
  void lockFileHoldsHostPidApplicationAndStartTime(TestInfo t) throws Exception {
    RunDirectory run = run(t);
    try (RunLock lock = acquire(run, "app-42")) {
      JsonView v = JsonView.of(control(run), lock.file());
      assertEquals(LockOwner.localHost(), v.text("host"));
      assertEquals(ProcessHandle.current().pid(), v.number("pid"));
      assertEquals("app-42", v.text("application_id"));
      assertFalse(v.text("started").isEmpty());
      assertEquals(1, v.number("epoch"));
    }
  }

  @Test
  void releasedLockIsTakenWithTheNextEpochAndTheReleasedEntryRemoved(TestInfo t)
      throws Exception {
    RunDirectory run = run(t);
    acquire(run, "a").close();
    assertTrue(control(run).exists(lockFile(run, 1, true)), "released, not deleted");
    try (RunLock second = acquire(run, "b")) {
      assertEquals(2, second.epoch());
      assertTrue(second.tookOverFrom().isEmpty());
      assertFalse(control(run).exists(lockFile(run, 1, true)));
    }
  }

  @Test
  void lockOfAProcessGoneFromThisHostIsTakenOverAtOnce(TestInfo t) throws Exception {
    RunDirectory run = run(t);
    Process gone = new ProcessBuilder("true").start();
    gone.waitFor();
    forgeLock(run, 4, LockOwner.localHost(), gone.pid(), System.currentTimeMillis());

    try (RunLock lock = acquire(run, "app")) {
      assertEquals(5, lock.epoch());
      String from = lock.tookOverFrom().orElseThrow();
      assertTrue(from.contains("pid " + gone.pid()) && from.contains("no longer running"), from);
      assertFalse(control(run).exists(lockFile(run, 4, false)), "the stale file is removed");
    }
  }

  @Test
  void lockWithoutAHeartbeatForLongerThanTheTimeoutIsTakenOverAndAFreshOneIsNot(TestInfo t)
      throws Exception {
    RunDirectory run = run(t);
    forgeLock(run, 1, "another-host.example", 1, System.currentTimeMillis());
    RunLockedException refused =
        assertThrows(RunLockedException.class, () -> acquire(run, "app"));
    assertTrue(refused.getMessage().contains("pid 1 on host another-host.example"),
        refused.getMessage());

    control(run).setTimes(lockFile(run, 1, false), System.currentTimeMillis() - 5_000, -1);
    try (RunLock lock = acquire(run, "app")) {
      assertEquals(2, lock.epoch());
      assertTrue(lock.tookOverFrom().orElseThrow().contains("last heartbeat was 5 s ago"),
          lock.tookOverFrom().orElseThrow());
    }
  }

  @Test
  void heartbeatKeepsAHeldLockFreshPastTheTimeout(TestInfo t) throws Exception {
    RunDirectory run = run(t);
    try (RunLock held = acquire(run, "app")) {
      Thread.sleep(3 * FAST.timeout().toMillis());
      assertThrows(RunLockedException.class, () -> acquire(run, "late"));
      held.check("commit"); // still the holder
    }
  }

  @Test
  void driversRacingForTheLockLetExactlyOneIn(TestInfo t) throws Exception {
    RunDirectory run = run(t);
    int drivers = 6;
    ExecutorService pool = Executors.newFixedThreadPool(drivers);
    try {
      for (int round = 0; round < raceRounds(); round++) {
        CyclicBarrier together = new CyclicBarrier(drivers);
        List<Future<RunLock>> tries = new ArrayList<>();
        for (int d = 0; d < drivers; d++) {
          String app = "app-" + round + "-" + d;
          tries.add(pool.submit(() -> {
            together.await();
            try {
              return acquire(run, app, RACE);
            } catch (RunLockedException e) {
              return null;
            }
          }));
        }
        List<RunLock> won = new ArrayList<>();
        for (Future<RunLock> f : tries) {
          if (f.get() != null) {
            won.add(f.get());
          }
        }
        assertEquals(1, won.size(), "round " + round + ": " + won.size() + " drivers got the lock");
        assertEquals(round + 1, won.get(0).epoch());
        won.get(0).close();
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void driverThatLostTheLockCannotCommitMoveLatestOrDeleteAnything(TestInfo t) throws Exception {
    RunDirectory runA = run(t);
    RunLock lockA = runA.lock("app-a");
    CheckpointStore a = runA.checkpoints(CommitPolicy.defaults());
    writeAndCommit(a, 10);
    String attempt = a.newAttempt(20);
    List<FileEntry> entries = write(a, 20, attempt, files(20));
    MetricsLog metricsA = runA.openMetrics();
    lockA.stopHeartbeat(); // driver A pauses (GC, SIGSTOP, partition) past the timeout
    Thread.sleep(FAST.timeout().toMillis() + 400);

    RunDirectory runB = run(t);
    try (RunLock lockB = runB.lock("app-b")) {
      assertEquals(2, lockB.epoch());
      assertTrue(lockB.tookOverFrom().orElseThrow().contains("last heartbeat"));
      CheckpointStore b = runB.checkpoints(CommitPolicy.defaults());
      writeAndCommit(b, 30);

      RunLockLostException lost = assertThrows(RunLockLostException.class,
          () -> a.commit(20, attempt, state(20), entries));
      assertTrue(lost.getMessage().contains("no longer holds the run lock"), lost.getMessage());
      assertTrue(lost.getMessage().contains("pid " + ProcessHandle.current().pid()),
          "names who took over: " + lost.getMessage());
      assertFalse(runA.fs().exists(a.stepDir(20)), "nothing moved into place");
      assertEquals(30, b.readLatest().getAsLong(), "LATEST untouched");
      assertThrows(RunLockLostException.class, a::prune);
      assertThrows(RunLockLostException.class, a::cleanAttempts);
      assertThrows(RunLockLostException.class, () -> a.newAttempt(40));
      long linesBefore = runA.readMetrics().size();
      metricsA.append(new ai.igspark.metrics.RetryRecord(20, 1, "a", "x", 0, "t"));
      assertEquals(linesBefore, runA.readMetrics().size(), "a fenced driver appends nothing");
      assertTrue(runA.fs().exists(b.stepDir(10)) && runA.fs().exists(b.stepDir(30)));
      lockA.close(); // a lost lock is not released: B's entry stays
      assertTrue(control(runB).exists(lockB.file()));
      b.open(30);
    } finally {
      metricsA.close();
    }
  }

  @Test
  void pausedDriverWakingUpAppendsNoMetricsAndLeavesTheNewHoldersLinesWhole(TestInfo t)
      throws Exception {
    RunDirectory runA = run(t);
    RunLock lockA = runA.lock("app-a");
    MetricsLog metricsA = runA.openMetrics(); // a new run: A creates metrics.jsonl
    try {
      metricsA.append(retry(1));
      lockA.stopHeartbeat(); // A is paused (SIGSTOP) past the timeout...
      Thread.sleep(FAST.timeout().toMillis() + 400);
      RunDirectory runB = run(t);
      try (RunLock lockB = runB.lock("app-b"); MetricsLog metricsB = runB.openMetrics()) {
        metricsB.append(retry(2));
        metricsB.append(retry(3));
        // ...and wakes up before its heartbeat thread has looked at the lock again.
        metricsA.append(retry(4));
        assertEquals(List.of(1L, 2L, 3L), steps(runB.readMetrics()));
        assertTrue(lockA.lostBecause().orElseThrow().contains("took it over"));
      }
    } finally {
      metricsA.close();
      lockA.close();
    }
  }

  @Test
  void twoAppendersOnANewMetricsFileNeverOverwriteEachOther(TestInfo t) throws Exception {
    RunDirectory run = run(t);
    // No lock: the fence is not what keeps lines whole; append mode is (a created stream
    // would write at its own offset, over the other writer's lines).
    try (MetricsLog first = MetricsLog.open(run.fs(), run.root());
        MetricsLog second = MetricsLog.open(run.fs(), run.root())) {
      first.append(retry(1));
      second.append(retry(2));
      first.append(retry(3));
    }
    List<Long> steps = steps(run.readMetrics());
    steps.sort(null); // on HDFS the second writer has its own part file
    assertEquals(List.of(1L, 2L, 3L), steps);
  }

  private static ai.igspark.metrics.RetryRecord retry(long step) {
    return new ai.igspark.metrics.RetryRecord(step, 1, "a", "x", 0, "t");
  }

  private static List<Long> steps(List<com.fasterxml.jackson.databind.JsonNode> records) {
    List<Long> steps = new ArrayList<>();
    records.forEach(r -> steps.add(r.path("step").asLong()));
    return steps;
  }

  @Test
  void metricsCannotBeOpenedWithoutTheLockWhileADriverHoldsIt(TestInfo t) throws Exception {
    RunDirectory run = run(t);
    try (RunLock held = acquire(run, "app")) {
      RunDirectory reader = run(t);
      RunLockedException e = assertThrows(RunLockedException.class, reader::openMetrics);
      assertTrue(e.getMessage().startsWith("cannot append to " + run.root() + "/metrics.jsonl: "),
          e.getMessage());
    }
    run(t).openMetrics().close(); // released: a tool may append
  }

  /** Reads a small JSON file's fields. */
  record JsonView(com.fasterxml.jackson.databind.JsonNode node) {
    static JsonView of(FileSystem fs, Path p) throws IOException {
      try (InputStream in = fs.open(p)) {
        return new JsonView(new ObjectMapper().readTree(
            new String(in.readAllBytes(), StandardCharsets.UTF_8)));
      }
    }

    String text(String key) {
      return node.path(key).asText();
    }

    long number(String key) {
      return node.path(key).asLong();
    }
  }
}
