package ai.igspark.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.igspark.ckpt.CheckpointStore;
import ai.igspark.ckpt.RunDirectory;
import ai.igspark.config.RunConfig;
import ai.igspark.spark.LoopbackStandaloneCluster;
import ai.igspark.spark.SparkContexts;
import ai.igspark.testsupport.CommandLines;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.WriterAppender;
import org.apache.logging.log4j.core.config.LoggerConfig;
import org.apache.logging.log4j.core.layout.PatternLayout;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Faults of a 2-rank run on a real standalone cluster (Master + 2 Workers, one executor JVM per
 * rank, gradients over the TCP ring): an executor JVM killed with SIGKILL mid-run, a hung ring
 * peer, a slow checkpoint writer, and the ring secret in the logs. Figures are printed as lines
 * starting with {@code RELIABILITY} (docs/RELIABILITY.md).
 */
@Tag("slow")
class StandaloneFaultsTest {
  @RegisterExtension
  static final LoopbackStandaloneCluster CLUSTER = LoopbackStandaloneCluster.withWorkers(2, "1g");

  private static JavaSparkContext sc;
  @TempDir static Path dir;
  private static String manifest;

  @BeforeAll
  static void startSpark() throws Exception {
    sc =
        SparkContexts.builder()
            .master(CLUSTER.masterUrl())
            .appName("standalone-faults-test")
            .worldSize(2)
            .executorMemory("768m")
            .executorClassPath(CLUSTER.executorClassPath())
            .uiEnabled(false)
            .start();
    awaitSlots(180);
    manifest = TinyRun.dataset(dir);
    // JIT, shard caches and native libraries warm on both executors before anything is timed
    train(config("warm-up", 4, 2, "{world_size: 2, max_retries: 1, backoff_seconds: 0}"));
  }

  @AfterAll
  static void stopSpark() {
    if (sc != null) {
      sc.close();
    }
  }

  @AfterEach
  void clearFaults() throws Exception {
    sc.setLocalProperty(FaultInjection.STALL, null);
    sc.setLocalProperty(FaultInjection.CHECKPOINT_DELAY_MS, null);
    awaitSlots(120); // a killed executor's replacement registers before the next test
  }

  private static void awaitSlots(long seconds) throws InterruptedException {
    LoopbackStandaloneCluster.awaitSlots(sc, 2, Duration.ofSeconds(seconds));
  }

  private static TrainDriver.Outcome train(Path config) throws Exception {
    RunConfig cfg = RunConfig.load(config);
    return new TrainDriver(cfg, config.toString(), Set.of(), quiet()).run(sc, false);
  }

  private static PrintStream quiet() {
    return new PrintStream(new ByteArrayOutputStream());
  }

  private static Path config(String name, long steps, long every, String cluster)
      throws Exception {
    return TinyRun.withCluster(
        TinyRun.config(dir, name, dir.resolve(name).toString(), manifest, steps, every, 2),
        cluster);
  }

  private static byte[] ema(String run, long step) throws Exception {
    return TinyRun.tensorBytes(dir.resolve(run).resolve("checkpoints")
        .resolve(CheckpointStore.stepName(step)).resolve(TrainingState.EMA_FILE));
  }

  private static List<JsonNode> records(String run, String kind) throws Exception {
    return RunDirectory.open(dir.resolve(run).toString(), new Configuration()).readMetrics()
        .stream().filter(m -> m.get("kind").asText().equals(kind)).toList();
  }

  private static long latest(String run) {
    try {
      Path f = dir.resolve(run).resolve("checkpoints/LATEST");
      return Files.exists(f) ? Long.parseLong(Files.readString(f).replaceAll("\\D", "")) : -1;
    } catch (Exception e) {
      return -1; // being replaced
    }
  }

  /** The executor JVMs of this application (Spark's CoarseGrainedExecutorBackend processes). */
  private static List<ProcessHandle> executors() {
    String app = sc.sc().applicationId();
    return ProcessHandle.allProcesses()
        .filter(p -> CommandLines.of(p)
            .map(c -> c.contains("CoarseGrainedExecutorBackend") && c.contains(app))
            .orElse(false))
        .toList();
  }

  /** Cached baseline runs, by name: the same config without faults. */
  private static final java.util.Map<String, Double> BASELINE_SECONDS = new java.util.HashMap<>();

  private static double baseline(String name, long steps, long every, String cluster)
      throws Exception {
    if (!BASELINE_SECONDS.containsKey(name)) {
      long t0 = System.nanoTime();
      train(config(name, steps, every, cluster));
      BASELINE_SECONDS.put(name, (System.nanoTime() - t0) / 1e9);
    }
    return BASELINE_SECONDS.get(name);
  }

  /**
   * Trains {@code name} in a background thread and SIGKILLs one executor of the application
   * {@code kills} times, each at a random moment after a new checkpoint was committed.
   */
  private static double trainWithKills(Path config, String name, int kills, long steps,
      long every, long seed) throws Exception {
    Random random = new Random(seed);
    long t0 = System.nanoTime();
    CompletableFuture<TrainDriver.Outcome> run = CompletableFuture.supplyAsync(() -> {
      try {
        return train(config);
      } catch (Exception e) {
        throw new RuntimeException(e);
      }
    });
    // distinct checkpoints, drawn up front, after which a kill lands (never the last segment)
    java.util.TreeSet<Long> after = new java.util.TreeSet<>();
    while (after.size() < kills) {
      after.add(every * (1 + random.nextInt((int) Math.max(1, steps / every - 2))));
    }
    List<Long> killSteps = new ArrayList<>();
    List<Instant> killTimes = new ArrayList<>();
    for (int k = 0; k < kills; k++) {
      long at0 = after.pollFirst();
      while (latest(name) < at0 && !run.isDone()) {
        Thread.sleep(50);
      }
      Thread.sleep(random.nextInt(1000)); // somewhere inside the next segment
      List<ProcessHandle> exec = executors();
      assertFalse(exec.isEmpty(), "no executor to kill");
      ProcessHandle victim = exec.get(random.nextInt(exec.size()));
      long at = latest(name);
      System.out.printf("RELIABILITY kill %d: SIGKILL executor pid %d after checkpoint %d%n",
          k + 1, victim.pid(), at);
      assertTrue(victim.destroyForcibly());
      victim.onExit().get(30, TimeUnit.SECONDS);
      killSteps.add(at);
      killTimes.add(Instant.now());
      // the next kill only once a replacement executor joined and a segment committed
      while (latest(name) <= at && !run.isDone()) {
        Thread.sleep(50);
      }
    }
    TrainDriver.Outcome out = run.get(60, TimeUnit.MINUTES);
    assertEquals(steps, out.step());
    assertTrue(out.retries() >= kills, "retries " + out.retries());
    printLostPerKill(name, killTimes);
    return (System.nanoTime() - t0) / 1e9;
  }

  /**
   * Time lost to each kill: from the kill until the segment it hit is committed, minus the median
   * time of a segment of the same run (what that segment costs without a kill).
   */
  private static void printLostPerKill(String name, List<Instant> killTimes) throws Exception {
    List<JsonNode> segments = records(name, "segment");
    double[] seconds = segments.stream().mapToDouble(r -> r.get("seconds").asDouble()).sorted()
        .toArray();
    double median = seconds[seconds.length / 2];
    for (int k = 0; k < killTimes.size(); k++) {
      Instant kill = killTimes.get(k);
      Instant committed = segments.stream().map(r -> Instant.parse(r.get("time").asText()))
          .filter(t -> t.isAfter(kill)).findFirst().orElse(null);
      if (committed != null) {
        double lost = java.time.Duration.between(kill, committed).toMillis() / 1e3 - median;
        System.out.printf("RELIABILITY kill %d of %s: next commit %.1f s after the kill, median"
            + " segment %.1f s, lost %.1f s%n", k + 1, name, lost + median, median, lost);
      }
    }
  }

  @Test
  void killedExecutorIsReplacedAndTheRunEndsWithTheWeightsOfAnUninterruptedRun()
      throws Exception {
    String cluster = "{world_size: 2, max_retries: 3, backoff_seconds: 1}";
    double steady = baseline("steady-40", 40, 10, cluster);
    double killed = trainWithKills(config("killed-40", 40, 10, cluster), "killed-40", 1, 40, 10, 7);
    List<JsonNode> retries = records("killed-40", "retry");
    System.out.printf("RELIABILITY executor kill: uninterrupted %.1f s, with 1 kill %.1f s,"
        + " lost %.1f s; retry error: %s%n", steady, killed, killed - steady,
        retries.get(0).get("error").asText());
    assertArrayEquals(ema("steady-40", 40), ema("killed-40", 40), () -> divergence("steady-40",
        "killed-40"));
  }

  /** Where two runs' losses first differ, and which segments started warm (for a failure). */
  private static String divergence(String a, String b) {
    try {
      List<JsonNode> ta = records(a, "train");
      List<JsonNode> tb = records(b, "train");
      StringBuilder out = new StringBuilder();
      for (int i = 0; i < Math.min(ta.size(), tb.size()); i++) {
        if (ta.get(i).get("loss").asDouble() != tb.get(i).get("loss").asDouble()) {
          out.append("first loss difference at ").append(ta.get(i)).append(" vs ")
              .append(tb.get(i)).append('\n');
          break;
        }
      }
      out.append(a).append(" segments ").append(records(a, "segment")).append('\n');
      out.append(b).append(" segments ").append(records(b, "segment")).append('\n');
      out.append(b).append(" retries ").append(records(b, "retry"));
      return out.toString();
    } catch (Exception e) {
      return e.toString();
    }
  }

  @Test
  void loadRunWithThreeExecutorKillsEndsWithTheWeightsOfAnUninterruptedRun() throws Exception {
    long steps = Long.getLong("igspark.load.steps", 2000);
    long every = Long.getLong("igspark.load.every", 100);
    String cluster = "{world_size: 2, max_retries: 3, backoff_seconds: 1}";
    double steady = baseline("load-steady", steps, every, cluster);
    baseline("load-steady-again", steps, every, cluster);
    boolean reproducible = java.util.Arrays.equals(ema("load-steady", steps),
        ema("load-steady-again", steps));
    System.out.printf("RELIABILITY load run: two uninterrupted runs bitwise equal: %s%s%n",
        reproducible, reproducible ? "" : "; " + divergence("load-steady", "load-steady-again"));
    double killed = trainWithKills(config("load-killed", steps, every, cluster), "load-killed",
        3, steps, every, 42);
    int retries = records("load-killed", "retry").size();
    System.out.printf("RELIABILITY load run: %d steps, checkpoint every %d, uninterrupted %.1f s,"
        + " with 3 kills %.1f s (%d retries), lost %.1f s per kill%n", steps, every, steady,
        killed, retries, (killed - steady) / 3);
    // Two uninterrupted runs must agree bitwise (the check that found the freed-scalar defect,
    // docs/RELIABILITY.md "Determinism"), and so must the run with kills.
    assertTrue(reproducible, () -> "two uninterrupted runs differ: "
        + divergence("load-steady", "load-steady-again"));
    assertArrayEquals(ema("load-steady", steps), ema("load-killed", steps),
        () -> divergence("load-steady", "load-killed"));
  }

  @Test
  void hungPeerFailsTheSegmentWithinTheStepDeadlineAndTheRetryEndsWithTheSameWeights()
      throws Exception {
    String cluster = "{world_size: 2, max_retries: 2, backoff_seconds: 0,"
        + " step_deadline_seconds: 3}";
    baseline("steady-12", 12, 6, cluster);
    Path marker = dir.resolve("stall-marker");
    sc.setLocalProperty(FaultInjection.STALL, "1:8:120000:" + marker); // hang 120 s at step 9
    long t0 = System.nanoTime();
    TrainDriver.Outcome out = train(config("hung", 12, 6, cluster));
    double wall = (System.nanoTime() - t0) / 1e9;

    assertEquals(1, out.retries());
    List<JsonNode> retries = records("hung", "retry");
    long stalledAt = Long.parseLong(Files.readString(marker).trim());
    double detect =
        (Instant.parse(retries.get(0).get("time").asText()).toEpochMilli() - stalledAt) / 1000.0;
    System.out.printf("RELIABILITY hung peer: step deadline 3 s, segment failed %.2f s after the"
        + " stall began, run %.1f s (baseline %.1f s); error: %s%n", detect, wall,
        BASELINE_SECONDS.get("steady-12"), retries.get(0).get("error").asText());
    assertTrue(detect < 3 + 10, "failure seen " + detect + " s after the stall");
    assertTrue(wall < 120, "nobody waited for the hung rank: " + wall + " s");
    assertArrayEquals(ema("steady-12", 12), ema("hung", 12));
  }

  @Test
  void slowCheckpointWriterIsNotMistakenForADeadPeer() throws Exception {
    sc.setLocalProperty(FaultInjection.CHECKPOINT_DELAY_MS, "8000"); // > 3 s step deadline
    TrainDriver.Outcome out = train(config("slow-writer", 6, 3,
        "{world_size: 2, max_retries: 2, backoff_seconds: 0, step_deadline_seconds: 3}"));
    assertEquals(0, out.retries());
    assertEquals(6, out.step());
    for (JsonNode segment : records("slow-writer", "segment")) {
      assertTrue(segment.get("seconds").asDouble() >= 8, segment.toString());
    }
  }

  @Test
  void ringSecretNeverAppearsInDriverOrExecutorLogs() throws Exception {
    byte[] secret = new byte[32];
    new SecureRandom().nextBytes(secret);
    StringWriter log = new StringWriter();
    LoggerContext ctx = (LoggerContext) LogManager.getContext(false);
    LoggerConfig root = ctx.getConfiguration().getRootLogger();
    Level level = root.getLevel();
    WriterAppender capture = WriterAppender.newBuilder().setName("secret-capture")
        .setTarget(log).setLayout(PatternLayout.newBuilder().withPattern("%m%n%ex").build())
        .build();
    capture.start();
    root.addAppender(capture, Level.ALL, null);
    root.setLevel(Level.DEBUG);
    ctx.updateLoggers();
    try {
      Path config = config("secret", 3, 3, "{world_size: 2, max_retries: 1, backoff_seconds: 0}");
      RunConfig cfg = RunConfig.load(config);
      new TrainDriver(cfg, config.toString(), Set.of(), quiet()).ringSecrets(secret::clone)
          .run(sc, false);
    } finally {
      root.removeAppender("secret-capture");
      root.setLevel(level);
      ctx.updateLoggers();
      capture.stop();
    }
    String driverLog = log.toString();
    assertTrue(driverLog.contains("checked 3 data shards"), "the capture saw the driver's log");
    String executorLogs = readAll(CLUSTER.dir().resolve("work"));
    assertTrue(executorLogs.contains("secret segment 0"), "the executors' logs were searched");
    String runFiles = readAll(dir.resolve("secret"));
    String sparkConf = sc.getConf().toDebugString();
    for (String form : List.of(HexFormat.of().formatHex(secret),
        HexFormat.of().withUpperCase().formatHex(secret),
        Base64.getEncoder().encodeToString(secret),
        Base64.getUrlEncoder().withoutPadding().encodeToString(secret),
        new String(secret, StandardCharsets.ISO_8859_1))) {
      assertFalse(driverLog.contains(form), "the driver log holds the secret");
      assertFalse(executorLogs.contains(form), "an executor log holds the secret");
      assertFalse(runFiles.contains(form), "a run file holds the secret");
      assertFalse(sparkConf.contains(form), "the Spark conf holds the secret");
    }
    System.out.printf("RELIABILITY secret: searched %d chars of driver DEBUG log, %d of executor"
        + " logs%n", driverLog.length(), executorLogs.length());
  }

  /** Every regular file under {@code root} that is not a jar, as ISO-8859-1 text. */
  private static String readAll(Path root) throws Exception {
    StringBuilder all = new StringBuilder();
    try (Stream<Path> files = Files.walk(root)) {
      for (Path f : files.filter(Files::isRegularFile)
          .filter(f -> !f.toString().endsWith(".jar")).toList()) {
        all.append(new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1));
      }
    }
    return all.toString();
  }
}
