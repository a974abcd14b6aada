package ai.igspark.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.igspark.ckpt.CheckpointStore;
import ai.igspark.ckpt.RunDirectory;
import ai.igspark.config.RunConfig;
import ai.igspark.data.InvalidInputException;
import ai.igspark.data.format.DatasetManifest;
import ai.igspark.data.sampling.EpochSampler;
import ai.igspark.tensorfile.SafetensorsFile;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.stream.LongStream;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.SparkConf;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Faults the driver handles in Spark local mode (docs/RELIABILITY.md): leftover attempts,
 * non-finite steps, an exhausted retry budget, too few slots, bad data at start, Spark TLS.
 */
class TrainingFaultsTest {
  @RegisterExtension static final LocalTraining training = new LocalTraining();

  @TempDir Path dir;

  private static TrainDriver.Outcome train(Path config, Set<String> allowed) throws Exception {
    return training.train(config, allowed);
  }

  private static PrintStream quiet() {
    return new PrintStream(new ByteArrayOutputStream());
  }

  private static Path ckpt(Path runDir, long step) {
    return runDir.resolve("checkpoints").resolve(CheckpointStore.stepName(step));
  }

  private static List<JsonNode> records(Path runDir, String kind) throws Exception {
    return RunDirectory.open(runDir.toString(), new Configuration()).readMetrics().stream()
        .filter(m -> m.get("kind").asText().equals(kind))
        .toList();
  }

  private static long latest(Path runDir) throws Exception {
    return Long.parseLong(Files.readString(runDir.resolve("checkpoints/LATEST")).trim()
        .replaceAll("\\D", ""));
  }

  @Test
  void leftoverAttemptOfAKilledRunIsRemovedOnTheNextStartAndNeverLoaded() throws Exception {
    Path straight = dir.resolve("straight");
    train(TinyRun.config(dir, "straight", straight.toString(), training.manifest(), 6, 3, 1), Set.of());

    Path killed = dir.resolve("killed");
    train(TinyRun.config(dir, "killed", killed.toString(), training.manifest(), 3, 3, 1), Set.of());
    // What a driver killed while rank 0 wrote step 6 leaves: an attempt dir with torn files.
    Path attempt = killed.resolve("checkpoints/" + CheckpointStore.stepName(6) + ".attempt-dead");
    Files.createDirectories(attempt);
    Files.write(attempt.resolve(TrainingState.EMA_FILE), new byte[] {1, 2, 3});
    Files.write(attempt.resolve(TrainingState.MODEL_FILE), new byte[0]);
    WarmCache.clear();
    train(TinyRun.config(dir, "killed", killed.toString(), training.manifest(), 6, 3, 1),
        Set.of("train.steps"));

    assertFalse(Files.exists(attempt), "the stale attempt is removed");
    assertArrayEquals(
        TinyRun.tensorBytes(ckpt(straight, 6).resolve(TrainingState.EMA_FILE)),
        TinyRun.tensorBytes(ckpt(killed, 6).resolve(TrainingState.EMA_FILE)));
  }

  @Test
  void stateLoadedColdStaysEqualToTheWarmOneInLaterSegments() throws Exception {
    Path warm = dir.resolve("all-warm");
    train(TinyRun.config(dir, "all-warm", warm.toString(), training.manifest(), 6, 2, 1), Set.of());
    Path cold = dir.resolve("cold-then-warm");
    train(TinyRun.config(dir, "cold-then-warm", cold.toString(), training.manifest(), 2, 2, 1), Set.of());
    WarmCache.clear(); // segment 2-4 starts cold, segment 4-6 continues that state warm
    train(TinyRun.config(dir, "cold-then-warm", cold.toString(), training.manifest(), 6, 2, 1),
        Set.of("train.steps"));
    assertArrayEquals(
        TinyRun.tensorBytes(ckpt(warm, 6).resolve(TrainingState.EMA_FILE)),
        TinyRun.tensorBytes(ckpt(cold, 6).resolve(TrainingState.EMA_FILE)));
  }

  /** Reproducibility baseline for docs/RELIABILITY.md "Determinism": one rank, long runs. */
  @Test
  @org.junit.jupiter.api.Tag("slow")
  void twoLongOneRankRunsEndBitwiseEqual() throws Exception {
    long steps = Long.getLong("igspark.long.steps", 1000);
    Path a = dir.resolve("long-a");
    Path b = dir.resolve("long-b");
    train(TinyRun.config(dir, "long-a", a.toString(), training.manifest(), steps, 100, 1), Set.of());
    train(TinyRun.config(dir, "long-b", b.toString(), training.manifest(), steps, 100, 1), Set.of());
    long skipped = records(a, "segment").stream()
        .mapToLong(r -> r.get("skipped_steps").asLong()).sum()
        + records(b, "segment").stream().mapToLong(r -> r.get("skipped_steps").asLong()).sum();
    System.out.printf("RELIABILITY long 1-rank runs: %d steps, skipped steps %d%n", steps, skipped);
    assertEquals(0, skipped);
    assertArrayEquals(
        TinyRun.tensorBytes(ckpt(a, steps).resolve(TrainingState.EMA_FILE)),
        TinyRun.tensorBytes(ckpt(b, steps).resolve(TrainingState.EMA_FILE)));
  }

  @Test
  void nonFiniteStepsAreSkippedAndCounted() throws Exception {
    int poisoned = 5;
    String nanData = TinyRun.dataset(dir, "nan-data", i -> i == poisoned);
    Path run = dir.resolve("nan");
    train(TinyRun.config(dir, "nan", run.toString(), nanData, 12, 6, 1), Set.of());

    // The steps whose global batch holds the poisoned sample: one per epoch of 6 steps.
    EpochSampler sampler = new EpochSampler(3, TinyRun.SAMPLES, 8);
    long[] expected = LongStream.range(0, 12)
        .filter(s -> Arrays.stream(sampler.globalBatch(s).sampleIndices()).anyMatch(i -> i == 5))
        .map(s -> s + 1)
        .toArray();
    assertEquals(2, expected.length);
    List<JsonNode> train = records(run, "train");
    long before = 0;
    int skippedSeen = 0;
    for (JsonNode r : train) {
      long step = r.get("step").asLong();
      long skipped = r.get("skipped_steps").asLong();
      boolean skippedHere = step % 6 == 1 ? skipped == 1 : skipped == before + 1;
      assertEquals(Arrays.stream(expected).anyMatch(s -> s == step), skippedHere, "step " + step);
      skippedSeen += skippedHere ? 1 : 0;
      before = skipped;
    }
    assertEquals(2, skippedSeen);
    long segmentSkips = records(run, "segment").stream()
        .mapToLong(r -> r.get("skipped_steps").asLong()).sum();
    assertEquals(2, segmentSkips);
    Path emaFile = ckpt(run, 12).resolve(TrainingState.EMA_FILE);
    try (SafetensorsFile ema = SafetensorsFile.open(emaFile)) {
      for (String name : ema.names()) {
        for (float f : ema.read(name).toFloats()) {
          assertTrue(Float.isFinite(f), name + " holds a non-finite value");
        }
      }
    }
  }

  @Test
  void consecutiveNonFiniteStepsStopTheRunAndTheLastGoodCheckpointStaysLatest() throws Exception {
    Path run = dir.resolve("diverges");
    train(TinyRun.config(dir, "diverges", run.toString(), training.manifest(), 3, 3, 1), Set.of());
    String allNan = TinyRun.dataset(dir, "all-nan", i -> true);
    Path config = TinyRun.config(dir, "diverges", run.toString(), allNan, 9, 3, 1);
    Files.writeString(config, Files.readString(config)
        .replace("log_every: 1", "log_every: 1\n  max_consecutive_skips: 2"));

    var e = assertThrows(TrainDriver.TrainingFailedException.class,
        () -> train(config, Set.of("train", "data.manifest")));
    assertTrue(e.getMessage().contains("training stopped at step 6"), e.getMessage());
    assertTrue(e.getMessage().contains("more than 2 consecutive steps"), e.getMessage());
    assertTrue(e.getMessage().contains("last good checkpoint is step 3"), e.getMessage());
    assertEquals(3, latest(run));
    assertFalse(Files.exists(ckpt(run, 6)));
  }

  @Test
  void exhaustedRetryBudgetSaysWhatFailedAndHowToResume() throws Exception {
    Path run = dir.resolve("budget");
    train(TinyRun.config(dir, "budget", run.toString(), training.manifest(), 2, 2, 1), Set.of());
    Path config = TinyRun.withCluster(
        TinyRun.config(dir, "budget", run.toString(), training.manifest(), 4, 2, 1),
        "{world_size: 1, max_retries: 2, backoff_seconds: 0}");
    training.sc().setLocalProperty(FaultInjection.FAIL_RANK, "0");
    try {
      var e = assertThrows(TrainDriver.TrainingFailedException.class,
          () -> train(config, Set.of("train.steps", "cluster")));
      assertTrue(e.getMessage().contains("segment 1 (steps 2-4) failed 3 times in a row"),
          e.getMessage());
      assertTrue(e.getMessage().contains("last committed checkpoint is step 2"), e.getMessage());
      assertTrue(e.getMessage().contains("run the same command again"), e.getMessage());
      assertTrue(e.getMessage().contains("test fault injection"), e.getMessage());
    } finally {
      training.sc().setLocalProperty(FaultInjection.FAIL_RANK, null);
    }
    assertEquals(2, latest(run));
    assertEquals(2, records(run, "retry").size());
  }

  @Test
  void tooFewSlotsForTheWorldSizeSaysHowToResume() throws Exception {
    Path run = dir.resolve("slots");
    Path config = TinyRun.withCluster(
        TinyRun.config(dir, "slots", run.toString(), training.manifest(), 2, 2, 2),
        "{world_size: 2, max_retries: 1, backoff_seconds: 0, slot_wait_seconds: 1}");
    var e = assertThrows(InvalidInputException.class, () -> train(config, Set.of()));
    assertTrue(e.getMessage().contains("world size 2 needs 2 concurrent task slots"),
        e.getMessage());
    assertTrue(e.getMessage().contains("offers only 1"), e.getMessage());
    assertTrue(e.getMessage().contains("There is no committed checkpoint yet"), e.getMessage());
    assertTrue(e.getMessage().contains("Run the same command again"), e.getMessage());
    assertTrue(e.getMessage().contains("cluster.allow_smaller_world"), e.getMessage());
  }

  @Test
  void allowSmallerWorldContinuesWithFewerRanksAndTheSameTrajectory() throws Exception {
    Path one = dir.resolve("one");
    train(TinyRun.config(dir, "one", one.toString(), training.manifest(), 4, 2, 1), Set.of());
    Path shrunk = dir.resolve("shrunk");
    Path config = TinyRun.withCluster(
        TinyRun.config(dir, "shrunk", shrunk.toString(), training.manifest(), 4, 2, 2),
        "{world_size: 2, max_retries: 1, backoff_seconds: 0, slot_wait_seconds: 5,"
            + " allow_smaller_world: true}");
    TrainDriver.Outcome out = train(config, Set.of());
    assertEquals(4, out.step());
    assertArrayEquals(
        TinyRun.tensorBytes(ckpt(one, 4).resolve(TrainingState.EMA_FILE)),
        TinyRun.tensorBytes(ckpt(shrunk, 4).resolve(TrainingState.EMA_FILE)));
    assertTrue(records(shrunk, "train").stream().allMatch(r -> r.get("world_size").asInt() == 1));
  }

  private Path copyOfData(String name) throws Exception {
    Path src = Path.of(training.manifest()).getParent();
    Path dst = dir.resolve(name);
    Files.createDirectories(dst);
    try (var files = Files.list(src)) {
      for (Path f : files.toList()) {
        Files.copy(f, dst.resolve(f.getFileName()));
      }
    }
    return dst;
  }

  private Path firstShard(Path data) {
    var m = DatasetManifest.read(data.resolve("dataset.json").toString(), new Configuration());
    return data.resolve(m.shards().get(1).path());
  }

  private InvalidInputException refused(Path data) throws Exception {
    Path run = dir.resolve("bad-" + data.getFileName());
    Path config = TinyRun.config(dir, "bad-" + data.getFileName(), run.toString(),
        data.resolve("dataset.json").toString(), 2, 2, 1);
    var e = assertThrows(InvalidInputException.class, () -> train(config, Set.of()));
    assertFalse(Files.exists(run.resolve("checkpoints/LATEST")));
    return e;
  }

  @Test
  void truncatedShardIsRefusedAtStartWithItsName() throws Exception {
    Path data = copyOfData("truncated");
    Path shard = firstShard(data);
    try (RandomAccessFile f = new RandomAccessFile(shard.toFile(), "rw")) {
      f.setLength(f.length() - 100);
    }
    var e = refused(data);
    assertTrue(e.getMessage().contains(shard.getFileName().toString()), e.getMessage());
    assertTrue(e.getMessage().contains("truncated"), e.getMessage());
  }

  @Test
  void shardWithAlteredBytesIsRefusedAtStartWithItsName() throws Exception {
    Path data = copyOfData("altered");
    Path shard = firstShard(data);
    byte[] bytes = Files.readAllBytes(shard);
    bytes[bytes.length - 7] ^= 0x40; // one bit of one sample value: same size, other digest
    Files.write(shard, bytes);
    var e = refused(data);
    assertTrue(e.getMessage().contains(shard.getFileName().toString()), e.getMessage());
    assertTrue(e.getMessage().contains("sha256 mismatch"), e.getMessage());
  }

  @Test
  void missingShardIsRefusedAtStartWithItsName() throws Exception {
    Path data = copyOfData("missing");
    Path shard = firstShard(data);
    Files.delete(shard);
    var e = refused(data);
    assertTrue(e.getMessage().contains(shard.getFileName().toString()), e.getMessage());
    assertTrue(e.getMessage().contains("missing shard"), e.getMessage());
  }

  @Test
  void sparkEncryptionWithoutTheRingOverrideIsRefused() throws Exception {
    SparkConf tls = new SparkConf(false).set("spark.ssl.enabled", "true");
    RunConfig cfg = RunConfig.load(
        TinyRun.config(dir, "tls", dir.resolve("tls").toString(), training.manifest(), 2, 2, 2));
    var e = assertThrows(InvalidInputException.class,
        () -> Preflight.checkRingEncryption(tls, cfg.cluster()));
    assertTrue(e.getMessage().contains("cluster.allow_unencrypted_ring"), e.getMessage());
    assertTrue(e.getMessage().contains("not encrypted"), e.getMessage());

    RunConfig allowed = RunConfig.load(TinyRun.withCluster(
        TinyRun.config(dir, "tls-ok", dir.resolve("tls-ok").toString(), training.manifest(), 2, 2, 2),
        "{world_size: 2, allow_unencrypted_ring: true}"));
    Preflight.checkRingEncryption(tls, allowed.cluster()); // no exception
    Preflight.checkRingEncryption(new SparkConf(false), cfg.cluster()); // no TLS asked
  }
}
