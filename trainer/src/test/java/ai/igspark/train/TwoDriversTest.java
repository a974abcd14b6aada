package ai.igspark.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.igspark.ckpt.CheckpointStore;
import ai.igspark.ckpt.RunDirectory;
import ai.igspark.ckpt.RunLock;
import ai.igspark.testsupport.IgsparkProcess;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two {@code igspark train} commands (child JVMs) started together on one run directory: exactly
 * one trains, the other exits 2 with one line naming the holder of the run lock, and what the run
 * directory holds afterwards (checkpoints, LATEST, metrics) equals a single driver's run.
 */
class TwoDriversTest {
  /** Long enough (seconds) that the second driver reaches the lock while the first trains. */
  private static final long STEPS = 60;
  private static final long EVERY = 15;
  /** Record fields that differ between any two runs: clocks and nonces. */
  private static final Set<String> TIMINGS = Set.of(
      "time", "seconds", "samples_per_s", "start_seconds", "commit_seconds", "attempt");

  @TempDir static Path shared;
  private static String manifest;
  private static Path single;

  @TempDir Path dir;

  @BeforeAll
  static void singleDriverRun() throws Exception {
    manifest = TinyRun.dataset(shared);
    single = shared.resolve("single");
    Path config = TinyRun.config(shared, "single", single.toString(), manifest, STEPS, EVERY, 1);
    IgsparkProcess.Result r = IgsparkProcess.run(shared, java.time.Duration.ofMinutes(10),
        "train", "--config", config.toString());
    assertEquals(0, r.code(), r.output());
  }

  @Test
  void twoDriversStartedTogetherTwiceTrainOnceEachTime() throws Exception {
    for (int round = 0; round < 2; round++) {
      race(round);
    }
  }

  @Tag("slow")
  @Test
  void twoDriversStartedTogetherTwentyTimesTrainOnceEachTime() throws Exception {
    for (int round = 0; round < 20; round++) {
      race(round);
    }
  }

  /**
   * A driver paused (SIGSTOP) past the lock timeout loses the lock to a driver started meanwhile,
   * which trains to the end like a single driver; resumed (SIGCONT), the first commits, moves and
   * deletes nothing and exits 2 saying it lost the lock.
   */
  @Tag("slow")
  @Test
  void pausedDriverThatLostTheLockCommitsNothingAndTheNewHolderEndsLikeASingleDriver()
      throws Exception {
    Path run = dir.resolve("paused");
    Path config = TinyRun.config(dir, "paused", run.toString(), manifest, STEPS, EVERY, 1);
    List<String> fastLock = List.of("-Dspark.hadoop." + RunLock.HEARTBEAT_MS + "=300",
        "-Dspark.hadoop." + RunLock.TIMEOUT_MS + "=3000");
    Path logA = dir.resolve("paused-a.log");
    Path logB = dir.resolve("paused-b.log");
    Process a = IgsparkProcess.start(logA, fastLock, "train", "--config", config.toString());
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
    // Paused once its first commit is complete: LATEST and the segment's record (a driver
    // stopped between the two would leave that record unwritten, and B does not repeat it).
    while (!segmentLogged(run) && a.isAlive() && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    signal("STOP", a);
    try {
      Thread.sleep(4000); // past the 3 s timeout: A's heartbeat is stale
      Process b = IgsparkProcess.start(logB, fastLock, "train", "--config", config.toString());
      assertTrue(b.waitFor(10, TimeUnit.MINUTES));
      String outB = Files.readString(logB);
      assertEquals(0, b.exitValue(), outB);
      assertTrue(outB.contains("took over the stale run lock"), outB);
      assertTrue(outB.contains("pid " + a.pid()), outB);
    } finally {
      signal("CONT", a);
    }
    assertTrue(a.waitFor(5, TimeUnit.MINUTES));
    String outA = Files.readString(logA);
    assertEquals(2, a.exitValue(), outA);
    assertTrue(outA.contains("this driver no longer holds the run lock of"), outA);
    assertFalse(outA.contains("trained " + STEPS + "/" + STEPS), outA);
    // Steps A logged before it lost the lock are logged again by B (as after any retry), and B
    // starts cold: compare the last record of each step, without warm_cache.
    assertSameCheckpoints(single, run, outA);
    assertEveryLineIsARecord(run, outA);
    assertEquals(lastPerStep(records(single)), lastPerStep(records(run)), outA);
  }

  private static boolean segmentLogged(Path run) {
    try {
      return Files.exists(run.resolve("checkpoints/LATEST"))
          && Files.readString(run.resolve("metrics.jsonl")).contains("\"kind\":\"segment\"");
    } catch (IOException e) {
      return false; // not created yet
    }
  }

  /** metrics.jsonl holds whole records only: two writers must never cut or splice a line. */
  private static void assertEveryLineIsARecord(Path run, String context) throws Exception {
    ObjectMapper json = new ObjectMapper();
    List<String> lines = Files.readAllLines(run.resolve("metrics.jsonl"));
    for (int i = 0; i < lines.size(); i++) {
      try {
        json.readTree(lines.get(i));
      } catch (IOException e) {
        throw new AssertionError("metrics.jsonl line " + (i + 1) + " is not a record: "
            + lines.get(i) + "\n" + context, e);
      }
    }
  }

  private static void signal(String name, Process p) throws Exception {
    Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(p.pid())).start();
    assertEquals(0, kill.waitFor(), "kill -" + name);
  }

  /** Starts two drivers on a fresh run directory at once and checks what each did and left. */
  private void race(int round) throws Exception {
    Path run = dir.resolve("race-" + round);
    Path config = TinyRun.config(dir, "race-" + round, run.toString(), manifest, STEPS, EVERY, 1);
    Path[] logs = {dir.resolve(round + "-a.log"), dir.resolve(round + "-b.log")};
    Process[] drivers = new Process[2];
    for (int d = 0; d < 2; d++) {
      drivers[d] = IgsparkProcess.start(logs[d], "train", "--config", config.toString());
    }
    for (Process p : drivers) {
      assertTrue(p.waitFor(10, TimeUnit.MINUTES), "a driver ran past 10 minutes");
    }
    int winner = drivers[0].exitValue() == 0 ? 0 : 1;
    int loser = 1 - winner;
    String won = Files.readString(logs[winner]);
    String lost = Files.readString(logs[loser]);
    String both = "round " + round + "\n--- driver " + winner + ":\n" + won + "\n--- driver "
        + loser + ":\n" + lost;
    assertEquals(0, drivers[winner].exitValue(), both);
    assertEquals(2, drivers[loser].exitValue(), both);
    assertTrue(won.contains("trained " + STEPS + "/" + STEPS + " steps"), both);
    assertTrue(lost.contains("igspark: error: run directory file:" + run), both);
    assertTrue(lost.contains(" is in use by another igspark train driver: pid "
        + drivers[winner].pid() + " on host "), both);
    assertFalse(lost.contains("steps done"), "the refused driver never started: " + both);
    assertFalse(lost.contains("\tat "), "one line, no stack trace: " + both);

    assertSameRun(single, run, both);
  }

  /** The checkpoints, LATEST and metrics of {@code run} equal those of {@code expected}. */
  private static void assertSameRun(Path expected, Path run, String context) throws Exception {
    assertSameCheckpoints(expected, run, context);
    assertEquals(records(expected), records(run), context);
  }

  /** The committed checkpoints and LATEST of {@code run} equal those of {@code expected}. */
  private static void assertSameCheckpoints(Path expected, Path run, String context)
      throws Exception {
    assertEquals(stepDirs(expected), stepDirs(run), context);
    assertEquals(Files.readString(expected.resolve("checkpoints/LATEST")),
        Files.readString(run.resolve("checkpoints/LATEST")), context);
    for (String file : List.of(TrainingState.EMA_FILE, TrainingState.MODEL_FILE,
        TrainingState.OPTIMIZER_FILE)) {
      assertArrayEquals(TinyRun.tensorBytes(ckpt(expected).resolve(file)),
          TinyRun.tensorBytes(ckpt(run).resolve(file)), file + ", " + context);
    }
  }

  /** The last record of each (kind, step), without warm_cache, in step order. */
  private static List<String> lastPerStep(List<String> records) throws Exception {
    Map<String, String> last = new TreeMap<>();
    for (String r : records) {
      ObjectNode n = (ObjectNode) new ObjectMapper().readTree(r);
      n.remove("warm_cache");
      last.put(String.format("%08d %s", n.path("step").asLong(), n.path("kind").asText()),
          n.toString());
    }
    return List.copyOf(last.values());
  }

  private static Path ckpt(Path run) {
    return run.resolve("checkpoints").resolve(CheckpointStore.stepName(STEPS));
  }

  private static List<String> stepDirs(Path run) throws Exception {
    try (Stream<Path> s = Files.list(run.resolve("checkpoints"))) {
      // committed checkpoints only: a paused driver may leave an attempt directory (never loaded)
      return s.map(p -> p.getFileName().toString()).filter(n -> n.matches("step-\\d{8,}"))
          .sorted().toList();
    }
  }

  /** Every metrics record without its clock and nonce fields, in order. */
  private static List<String> records(Path run) throws Exception {
    List<JsonNode> all = RunDirectory.open(run.toString(), new Configuration()).readMetrics();
    return all.stream().map(r -> {
      ObjectNode copy = r.deepCopy();
      copy.remove(TIMINGS);
      return copy.toString();
    }).toList();
  }
}
