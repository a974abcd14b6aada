package ai.igspark.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.igspark.ckpt.CheckpointStore;
import ai.igspark.ckpt.RunDirectory;
import ai.igspark.config.RunConfig;
import ai.igspark.spark.LoopbackStandaloneCluster;
import ai.igspark.spark.SparkContexts;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code cluster.allow_smaller_world} on a real standalone cluster (docs/RELIABILITY.md 7d): a
 * 2-rank run starts on a cluster with one Worker, so it trains with world size 1; a second Worker
 * joins after the first checkpoint (a node coming back), and at a later segment boundary the
 * run grows back to world size 2. The final EMA equals, bitwise, that of a run with the same
 * world sizes: world size 1 up to that boundary, then resumed with world size 2.
 */
@Tag("slow")
class WorldGrowsBackTest {
  @RegisterExtension
  static final LoopbackStandaloneCluster CLUSTER = LoopbackStandaloneCluster.withWorkers(1, "1g");

  private static final long STEPS = 32;
  private static final long EVERY = 4;

  private static JavaSparkContext sc;
  @TempDir static Path dir;
  private static String manifest;

  @BeforeAll
  static void startSpark() throws Exception {
    // Asks for two executors; the cluster has room for one until the test adds a Worker.
    sc =
        SparkContexts.builder()
            .master(CLUSTER.masterUrl())
            .appName("world-grows-back-test")
            .worldSize(2)
            .executorMemory("768m")
            .executorClassPath(CLUSTER.executorClassPath())
            .uiEnabled(false)
            .start();
    LoopbackStandaloneCluster.awaitSlots(sc, 1, Duration.ofMinutes(3));
    manifest = TinyRun.dataset(dir);
  }

  @AfterAll
  static void stopSpark() {
    if (sc != null) {
      sc.close();
    }
  }

  @Test
  void shrunkWorldGrowsBackWhenAWorkerReturnsAndKeepsTheTrajectoryOfTheSameWorldSchedule()
      throws Exception {
    // Each checkpoint takes 2 s longer, so the run lasts long enough for a Worker to join. The
    // slot wait is long: a just-started executor JVM may take seconds to launch its first task.
    sc.setLocalProperty(FaultInjection.CHECKPOINT_DELAY_MS, "2000");
    Path grows = config("grows", STEPS, "{world_size: 2, max_retries: 1, backoff_seconds: 0,"
        + " slot_wait_seconds: 30, allow_smaller_world: true}");
    ByteArrayOutputStream console = new ByteArrayOutputStream();
    CompletableFuture<TrainDriver.Outcome> run = CompletableFuture.supplyAsync(() -> {
      try {
        return train(grows, console, Set.of());
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    });
    try {
      Path latest = dir.resolve("grows/checkpoints/LATEST");
      long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
      while (!Files.exists(latest) && !run.isDone() && System.nanoTime() < deadline) {
        Thread.sleep(50);
      }
      CLUSTER.addWorker();
      TrainDriver.Outcome out = run.get(20, TimeUnit.MINUTES);
      assertEquals(STEPS, out.step());
    } finally {
      sc.setLocalProperty(FaultInjection.CHECKPOINT_DELAY_MS, null);
    }

    String printed = console.toString(StandardCharsets.UTF_8);
    assertTrue(printed.contains("igspark: only 1 executors; continuing with world size 1"),
        printed);
    assertTrue(printed.contains("igspark: 2 executors again; continuing with world size 2"),
        printed);
    List<JsonNode> train = records("grows", "train");
    int firstTwo = 0;
    while (firstTwo < train.size() && train.get(firstTwo).get("world_size").asInt() == 1) {
      firstTwo++;
    }
    assertTrue(firstTwo > 0 && firstTwo < train.size()
        && train.subList(firstTwo, train.size()).stream()
            .allMatch(r -> r.get("world_size").asInt() == 2), train.toString());
    long grewAt = train.get(firstTwo).get("step").asLong() - 1;
    System.out.printf("RELIABILITY world grows back: world size 1 for steps 1-%d, 2 for steps"
        + " %d-%d%n", grewAt, grewAt + 1, STEPS);
    assertEquals(0, grewAt % EVERY, "grew at a segment boundary: " + train);

    // W = 2 equals W = 1 only up to summation order (docs/ARCHITECTURE.md §4.2), so the reference
    // has the same schedule: world size 1 up to that boundary, then resumed with world size 2.
    train(config("ref", grewAt, "{world_size: 1, max_retries: 1, backoff_seconds: 0}"),
        new ByteArrayOutputStream(), Set.of());
    train(config("ref", STEPS, "{world_size: 2, max_retries: 1, backoff_seconds: 0}"),
        new ByteArrayOutputStream(), Set.of("train.steps", "cluster.world_size"));
    assertArrayEquals(ema("ref"), ema("grows"), "the trajectory of the same schedule, bitwise");
  }

  private static TrainDriver.Outcome train(Path config, ByteArrayOutputStream console,
      Set<String> allowedChanges) throws Exception {
    RunConfig cfg = RunConfig.load(config);
    return new TrainDriver(cfg, config.toString(), allowedChanges,
        new PrintStream(console, true, StandardCharsets.UTF_8)).run(sc, false);
  }

  private static Path config(String name, long steps, String cluster) throws Exception {
    return TinyRun.withCluster(
        TinyRun.config(dir, name, dir.resolve(name).toString(), manifest, steps, EVERY, 1),
        cluster);
  }

  private static byte[] ema(String run) throws Exception {
    return TinyRun.tensorBytes(dir.resolve(run).resolve("checkpoints")
        .resolve(CheckpointStore.stepName(STEPS)).resolve(TrainingState.EMA_FILE));
  }

  private static List<JsonNode> records(String run, String kind) throws Exception {
    return RunDirectory.open(dir.resolve(run).toString(), new Configuration()).readMetrics()
        .stream().filter(m -> m.get("kind").asText().equals(kind)).toList();
  }
}
