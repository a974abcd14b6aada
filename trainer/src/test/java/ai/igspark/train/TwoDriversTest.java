package ai.igspark.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.igspark.ckpt.CheckpointStore;
import ai.igspark.ckpt.RunDirectory;
import ai.igspark.testsupport.IgsparkProcess;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
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
    assertEquals(stepDirs(expected), stepDirs(run), context);
    assertEquals(Files.readString(expected.resolve("checkpoints/LATEST")),
        Files.readString(run.resolve("checkpoints/LATEST")), context);
    for (String file : List.of(TrainingState.EMA_FILE, TrainingState.MODEL_FILE,
        TrainingState.OPTIMIZER_FILE)) {
      assertArrayEquals(TinyRun.tensorBytes(ckpt(expected).resolve(file)),
          TinyRun.tensorBytes(ckpt(run).resolve(file)), file + ", " + context);
    }
    assertEquals(records(expected), records(run), context);
  }

  private static Path ckpt(Path run) {
    return run.resolve("checkpoints").resolve(CheckpointStore.stepName(STEPS));
  }

  private static List<String> stepDirs(Path run) throws Exception {
    try (Stream<Path> s = Files.list(run.resolve("checkpoints"))) {
      return s.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("step-")).sorted()
          .toList();
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
