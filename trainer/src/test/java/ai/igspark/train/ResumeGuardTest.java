package ai.igspark.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.igspark.ckpt.CheckpointStore;
import ai.igspark.ckpt.CommitPolicy;
import ai.igspark.ckpt.DataPosition;
import ai.igspark.ckpt.RunDirectory;
import ai.igspark.config.RunConfig;
import ai.igspark.data.InvalidInputException;
import ai.igspark.data.Sha256;
import ai.igspark.data.sampling.BatchSlice;
import ai.igspark.data.sampling.EpochSampler;
import ai.igspark.testsupport.IgsparkProcess;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.stream.LongStream;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Nothing silent on resume (docs/checkpoints.md "Resume guard"): a run directory whose checkpoints
 * are gone but whose history is kept, checkpoints without their run.yaml, a dataset replaced under
 * the same training.manifest() path, a {@code --resume} with nothing to resume: each refused by {@code igspark
 * train} (a child JVM) with exit 2 and one line saying what to do, writing nothing; {@code
 * --restart} trains from step 0 with the old files kept; a changed global batch goes on at the
 * exact data position. Runs are set up in this JVM (~2 s each).
 */
class ResumeGuardTest {
  private static final long SEED = 3; // TinyRun's run.seed
  @RegisterExtension static final LocalTraining training = new LocalTraining();

  @TempDir Path dir;

  private static TrainDriver.Outcome train(Path config, Set<String> allowed) throws Exception {
    WarmCache.clear();
    return training.train(config, allowed);
  }

  private IgsparkProcess.Result igspark(String... args) throws Exception {
    return IgsparkProcess.run(dir, Duration.ofMinutes(10), args);
  }

  /** Exit 2, one {@code igspark: error:} line holding {@code expected}, no stack trace. */
  private static void assertRefused(IgsparkProcess.Result r, String expected) {
    assertEquals(2, r.code(), r.output());
    assertTrue(r.output().contains("igspark: error: "), r.output());
    assertTrue(r.output().contains(expected), r.output());
    assertFalse(r.output().contains("\tat "), "no stack trace:\n" + r.output());
    assertFalse(r.output().contains("steps done"), "nothing trained:\n" + r.output());
  }

  private static void deleteTree(Path p) throws IOException {
    try (Stream<Path> s = Files.walk(p)) {
      for (Path q : s.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(q);
      }
    }
  }

  private static Path withLr(Path config, String lr) throws IOException {
    Files.writeString(config, Files.readString(config).replace("lr: 1.0e-3", "lr: " + lr));
    return config;
  }

  @Test
  void checkpointsDeletedWithTheirHistoryKeptAreRefusedAndRestartKeepsTheOldFiles()
      throws Exception {
    Path run = dir.resolve("run");
    Path config = TinyRun.config(dir, "history", run.toString(), training.manifest(), 6, 3, 1);
    train(config, Set.of());
    deleteTree(run.resolve("checkpoints"));
    byte[] history = Files.readAllBytes(run.resolve("metrics.jsonl"));

    assertRefused(igspark("train", "--config", config.toString()),
        "has a training history (its metrics record checkpoints committed up to step 6) but no"
            + " checkpoint: a resume would train from step 0 and append a second trajectory");
    assertArrayEquals(history, Files.readAllBytes(run.resolve("metrics.jsonl")));
    assertFalse(Files.exists(run.resolve("checkpoints")), "nothing written");

    IgsparkProcess.Result restarted = igspark("train", "--config", config.toString(), "--restart");
    assertEquals(0, restarted.code(), restarted.output());
    assertTrue(restarted.output().contains("moved the run's earlier files"), restarted.output());
    assertTrue(restarted.output().contains("trained 6/6 steps"), restarted.output());
    Path old;
    try (Stream<Path> s = Files.list(run)) {
      old = s.filter(p -> p.getFileName().toString().startsWith("restarted-")).findFirst()
          .orElseThrow();
    }
    assertArrayEquals(history, Files.readAllBytes(old.resolve("metrics.jsonl")), "kept as it was");
    assertTrue(Files.exists(old.resolve("run.yaml")));
    List<Long> steps = RunDirectory.open(run.toString(), new Configuration()).readMetrics()
        .stream().filter(r -> r.get("kind").asText().equals("train"))
        .map(r -> r.get("step").asLong()).toList();
    assertEquals(LongStream.rangeClosed(1, 6).boxed().toList(), steps, "one trajectory");
  }

  @Test
  void checkpointsWithoutTheirRunYamlAreRefusedSoAChangedLrIsNotTakenSilently()
      throws Exception {
    Path run = dir.resolve("run");
    train(TinyRun.config(dir, "no-yaml", run.toString(), training.manifest(), 3, 3, 1), Set.of());
    Files.delete(run.resolve("run.yaml"));
    Path changed = withLr(TinyRun.config(dir, "no-yaml", run.toString(), training.manifest(), 6, 3, 1),
        "2.0e-3");

    assertRefused(igspark("train", "--config", changed.toString()),
        "has checkpoints (newest step-00000003) but no run.yaml: the configuration they were"
            + " trained with is unknown");
    assertFalse(Files.exists(run.resolve("run.yaml")), "nothing written");
    assertEquals("step-00000003", Files.readString(run.resolve("checkpoints/LATEST")).trim());
  }

  @Test
  void aDatasetReplacedUnderTheSameManifestPathIsAChangeOfDataIdentity() throws Exception {
    Path run = dir.resolve("run");
    String data = TinyRun.dataset(dir, "data", i -> false);
    train(TinyRun.config(dir, "data", run.toString(), data, 3, 3, 1), Set.of());
    String before = Sha256.of(Files.readAllBytes(Path.of(data)));
    deleteTree(dir.resolve("data"));
    TinyRun.dataset(dir, "data", i -> i == 7); // same path, one sample different
    String after = Sha256.of(Files.readAllBytes(Path.of(data)));
    Path longer = TinyRun.config(dir, "data", run.toString(), data, 6, 3, 1);

    assertRefused(igspark("train", "--config", longer.toString(), "--allow-change", "train.steps"),
        "data.identity.manifest_sha256: '" + before + "' → '" + after + "'");
    assertEquals(before, RunDirectory.open(run.toString(), new Configuration())
        .storedDataIdentity().orElseThrow().manifestSha256());

    train(longer, Set.of("train.steps", "data.identity"));
    assertEquals(after, RunDirectory.open(run.toString(), new Configuration())
        .storedDataIdentity().orElseThrow().manifestSha256());
    try (Stream<Path> s = Files.list(run.resolve("config-history"))) {
      assertEquals(1, s.filter(p -> p.getFileName().toString().startsWith("data-identity-"))
          .count(), "the old identity is kept");
    }
  }

  @Test
  void resumeOfARunThatDoesNotExistWritesNothingSoTheCorrectedCommandRuns() throws Exception {
    Path run = dir.resolve("run");
    Path config = TinyRun.config(dir, "fresh", run.toString(), training.manifest(), 3, 3, 1);

    assertRefused(igspark("train", "--config", config.toString(), "--resume"),
        "--resume: file:" + run + " has no committed checkpoint to resume from");
    assertFalse(Files.exists(run), "the run directory was created");

    assertEquals(3, train(withLr(config, "2.0e-3"), Set.of()).step(), "nothing blocks it");
  }

  @Test
  void resumeOfARunWithoutACheckpointWritesNoRunYaml() throws Exception {
    Path run = Files.createDirectories(dir.resolve("run"));
    Path config = TinyRun.config(dir, "empty", run.toString(), training.manifest(), 3, 3, 1);
    var e = assertThrows(InvalidInputException.class,
        () -> new TrainDriver(RunConfig.load(config), config.toString(), Set.of(),
            new PrintStream(new ByteArrayOutputStream())).run(training.sc(), true));
    assertTrue(e.getMessage().contains("no committed checkpoint to resume from"), e.getMessage());
    assertFalse(Files.exists(run.resolve("run.yaml")));
    assertFalse(Files.exists(run.resolve("data-identity.json")));
  }

  @Test
  void resumeAndRestartTogetherAreRefused() throws Exception {
    Path config = TinyRun.config(dir, "both", dir.resolve("run").toString(), training.manifest(), 3, 3, 1);
    assertRefused(igspark("train", "--config", config.toString(), "--resume", "--restart"),
        "--resume and --restart contradict each other");
    assertFalse(Files.exists(dir.resolve("run")));
  }

  @Test
  void aRunCreatedBeforeDatasetsWereRecordedResumesAndRecordsIt() throws Exception {
    Path run = dir.resolve("run");
    train(TinyRun.config(dir, "legacy", run.toString(), training.manifest(), 3, 3, 1), Set.of());
    Files.delete(run.resolve("data-identity.json"));
    train(TinyRun.config(dir, "legacy", run.toString(), training.manifest(), 6, 3, 1), Set.of("train.steps"));
    JsonNode recorded = new com.fasterxml.jackson.databind.ObjectMapper()
        .readTree(run.resolve("data-identity.json").toFile());
    assertEquals(Sha256.of(Files.readAllBytes(Path.of(training.manifest()))),
        recorded.get("manifest_sha256").asText());
    assertEquals(TinyRun.SAMPLES, recorded.get("count").asLong());
  }

  private static JsonNode state(Path run, long step) throws Exception {
    return RunDirectory.open(run.toString(), new Configuration())
        .checkpoints(CommitPolicy.defaults()).open(step).state();
  }

  /**
   * An allowed change of {@code train.global_batch} continues at the exact data position
   * (docs/ARCHITECTURE.md §2 "Order"): over the epoch no sample is skipped or repeated. Before,
   * the position was recomputed as if every step had had the new batch.
   */
  @Test
  void resumedWithALargerGlobalBatchTheEpochSeesEverySampleOnce() throws Exception {
    Path run = dir.resolve("run");
    // 3 steps of B = 8 (stream positions [0, 24)), then 2 of B = 12: [24, 48), the rest of
    // epoch 0 of the 48 samples.
    train(TinyRun.config(dir, "batch", run.toString(), training.manifest(), 3, 3, 1), Set.of());
    Path larger = TinyRun.config(dir, "batch", run.toString(), training.manifest(), 5, 3, 1);
    Files.writeString(larger,
        Files.readString(larger).replace("global_batch: 8", "global_batch: 12"));
    train(larger, Set.of("train.global_batch", "train.steps"));

    JsonNode end = state(run, 5);
    assertEquals(48, end.get("data_position").asLong(), end.toString());
    assertEquals(1.0, end.get("epoch").asDouble(), end.toString());
    // The rank's own sampler reports where it read: epochs done after steps 4 and 5.
    List<JsonNode> train = RunDirectory.open(run.toString(), new Configuration()).readMetrics()
        .stream().filter(r -> r.get("kind").asText().equals("train")).toList();
    JsonNode step4 = train.get(train.size() - 2);
    JsonNode step5 = train.get(train.size() - 1);
    assertEquals(List.of(4L, 5L), List.of(step4.get("step").asLong(), step5.get("step").asLong()));
    assertEquals(36.0 / 48, step4.get("epoch").asDouble(), step4.toString());
    assertEquals(1.0, step5.get("epoch").asDouble(), step5.toString());

    // The samples those positions hold, through the real sampler: every one of the 48, once.
    List<BatchSlice> batches = new ArrayList<>();
    EpochSampler before = new EpochSampler(SEED, TinyRun.SAMPLES, 8);
    for (long s = 0; s < 3; s++) {
      batches.add(before.globalBatch(s));
    }
    DataPosition resumedAt = DataPosition.of(
        RunDirectory.open(run.toString(), new Configuration())
            .checkpoints(CommitPolicy.defaults()).open(3));
    assertEquals(new DataPosition(3, 24), resumedAt);
    EpochSampler after = new EpochSampler(SEED, TinyRun.SAMPLES, 12)
        .startingAt(resumedAt.step(), resumedAt.position());
    for (long s = 3; s < 5; s++) {
      batches.add(after.globalBatch(s));
    }
    long[] seen = batches.stream().flatMapToLong(b -> Arrays.stream(b.sampleIndices())).sorted()
        .toArray();
    assertEquals(Arrays.toString(LongStream.range(0, TinyRun.SAMPLES).toArray()),
        Arrays.toString(seen), "each sample of the epoch exactly once");
    assertEquals(Set.of(0L), batches.stream().flatMapToLong(b -> Arrays.stream(b.epochs()))
        .boxed().collect(java.util.stream.Collectors.toSet()), "all in epoch 0");
    assertEquals(CheckpointStore.stepName(5),
        Files.readString(run.resolve("checkpoints/LATEST")).trim());
  }
}
