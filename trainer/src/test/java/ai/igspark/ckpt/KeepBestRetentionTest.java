package ai.igspark.ckpt;

import static ai.igspark.ckpt.CheckpointFixtures.writeAndCommit;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.igspark.config.RunConfig.BestMode;
import ai.igspark.config.RunConfig.KeepBest;
import ai.igspark.metrics.EvalRecord;
import ai.igspark.metrics.EvalSetting;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code checkpoint.keep_best}: a real {@link CheckpointStore} of a run directory on the local
 * disk, with the evaluations written as {@code eval} records through the real {@link MetricsLog},
 * in the driver's order (commit, then evaluate the committed step).
 */
class KeepBestRetentionTest {
  private static final EvalSetting SETTING =
      new EvalSetting(100, EvalSetting.BALANCED, "sde-em", 20, 1f, List.of(0f, 1f), 1f,
          List.of(0f, 0.7f));

  @TempDir java.nio.file.Path tmp;

  private RunDirectory run() throws IOException {
    return RunDirectory.open(tmp.resolve("run").toUri().toString(), new Configuration());
  }

  private CheckpointStore store(RunDirectory run, int keep, KeepBest rule) throws IOException {
    return run.checkpoints(CommitPolicy.defaults().withRetries(0, Duration.ZERO)
        .withRetention(keep, Set.of()).withKeepBest(rule));
  }

  private static EvalRecord fdFmnist(long step, double fd, double classifierScore) {
    return new EvalRecord(step, EvalRecord.FD_FMNIST, fd, null, null, classifierScore, null, null,
        SETTING, "0".repeat(64), null, null, null, null, null, 1.0, null, "2025-01-01T00:00:00Z");
  }

  /**
   * Commits steps 10, 20, … {@code last} and after each appends the evaluation {@code values}
   * gives it (none for steps it lacks), as the driver does; returns the committed steps seen
   * after each commit.
   */
  private List<List<Long>> train(CheckpointStore store, MetricsLog metrics, long last,
      Map<Long, double[]> values) throws IOException {
    List<List<Long>> seen = new ArrayList<>();
    for (long step = 10; step <= last; step += 10) {
      writeAndCommit(store, step);
      seen.add(store.committedSteps());
      double[] v = values.get(step);
      if (v != null) {
        EvalRecord r = fdFmnist(step, v[0], v[1]);
        metrics.append(r);
        store.onRecord(r);
      }
    }
    return seen;
  }

  private static Map<Long, double[]> curve(long last, Map<Long, double[]> special) {
    Map<Long, double[]> values = new java.util.HashMap<>();
    for (long step = 10; step <= last; step += 10) {
      values.put(step, new double[] {100.0 + step, 0.1}); // worse than any special value
    }
    values.putAll(special);
    return values;
  }

  @Test
  void theBestCheckpointSurvivesManyCommitsUntilABetterOneIsEvaluated() throws Exception {
    RunDirectory run = run();
    CheckpointStore store = store(run, 1, new KeepBest("fd_fmnist", BestMode.MIN));
    List<List<Long>> seen;
    try (MetricsLog metrics = run.openMetrics()) {
      seen = train(store, metrics, 120,
          curve(120, Map.of(20L, new double[] {5.0, 0.1}, 90L, new double[] {3.0, 0.1})));
    }
    for (int i = 2; i < 9; i++) { // the commits of steps 30 … 90: step 20 stays
      assertEquals(List.of(20L, (i + 1) * 10L), seen.get(i), "after step " + (i + 1) * 10);
    }
    assertEquals(List.of(90L, 100L), seen.get(9), "step 20 goes once 90 is better");
    assertEquals(List.of(90L, 120L), store.committedSteps());
  }

  @Test
  void modeMaxKeepsTheHighestValue() throws Exception {
    RunDirectory run = run();
    CheckpointStore store = store(run, 1, new KeepBest("classifier_score", BestMode.MAX));
    try (MetricsLog metrics = run.openMetrics()) {
      // fd_fmnist is best (lowest) at 40, the classifier score best (highest) at 70.
      train(store, metrics, 80, curve(80,
          Map.of(30L, new double[] {1.0, 0.5}, 50L, new double[] {50.0, 0.9})));
    }
    assertEquals(List.of(50L, 80L), store.committedSteps());
  }

  @Test
  void aTieKeepsTheEarliestStep() throws Exception {
    RunDirectory run = run();
    CheckpointStore store = store(run, 1, new KeepBest("fd_fmnist", BestMode.MIN));
    try (MetricsLog metrics = run.openMetrics()) {
      train(store, metrics, 70, curve(70, Map.of(
          50L, new double[] {7.0, 0.1}, 30L, new double[] {7.0, 0.1}, 60L, new double[] {7.0, 0.1})));
    }
    assertEquals(List.of(30L, 70L), store.committedSteps());
  }

  @Test
  void checkpointsWithoutAnEvaluationAreJudgedByNormalRetentionOnly() throws Exception {
    RunDirectory run = run();
    CheckpointStore store = store(run, 2, new KeepBest("fd_fmnist", BestMode.MIN));
    try (MetricsLog metrics = run.openMetrics()) {
      metrics.append(EvalRecord.failed(20, "out of memory", "2025-01-01T00:00:00Z"));
      // Only step 40 is evaluated; it is the best, the rest go by keep: 2.
      train(store, metrics, 80, Map.of(40L, new double[] {40.0, 0.1}));
    }
    assertEquals(List.of(40L, 70L, 80L), store.committedSteps());
  }

  @Test
  void aResumedDriverFindsTheBestInTheMetricsOfEarlierSessions() throws Exception {
    try (MetricsLog metrics = run().openMetrics()) {
      train(store(run(), 5, null), metrics, 30, curve(30, Map.of(20L, new double[] {2.0, 0.1})));
    }
    RunDirectory resumed = run(); // a new driver session: only what is on disk
    CheckpointStore store = store(resumed, 1, new KeepBest("fd_fmnist", BestMode.MIN));
    for (long step = 40; step <= 60; step += 10) {
      writeAndCommit(store, step);
    }
    assertEquals(List.of(20L, 60L), store.committedSteps());
  }

  @Test
  void unreadableEvaluationsMakeRetentionDeleteNothing() throws Exception {
    RunDirectory run = run();
    CheckpointStore store = store(run, 1, new KeepBest("fd_fmnist", BestMode.MIN));
    for (long step = 10; step <= 30; step += 10) {
      writeAndCommit(store, step);
    }
    assertEquals(List.of(30L), store.committedSteps());
    writeAndCommit(store(run, 5, null), 40);
    Files.writeString(tmp.resolve("run").resolve(MetricsLog.FILE),
        "{\"kind\":\"eval\",\"step\":\"forty\",\"metric\":\"fd_fmnist\",\"value\":1.0}\n",
        StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);

    IOException e = assertThrows(IOException.class, store::prune);

    assertTrue(e.getMessage().contains("checkpoint.keep_best: an eval record of the run's"
        + " metrics cannot be read"), e.getMessage());
    assertEquals(List.of(30L, 40L), store.committedSteps(), "nothing deleted");
  }
}
