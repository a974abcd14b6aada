package ai.igspark.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.igspark.ckpt.CheckpointStore;
import ai.igspark.ckpt.DataPosition;
import ai.igspark.ckpt.RunDirectory;
import ai.igspark.config.RunConfig;
import ai.igspark.data.sampling.BatchSlice;
import ai.igspark.data.sampling.EpochSampler;
import ai.igspark.spark.SparkContexts;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.stream.LongStream;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A run resumed with an allowed change of {@code train.global_batch} continues at the exact data
 * position (docs/ARCHITECTURE.md §2 "Order"): over the epoch no sample is skipped or repeated.
 * Before, the position was recomputed as if every step had had the new batch.
 */
class GlobalBatchChangeTest {
  private static final long SEED = 3; // TinyRun's run.seed
  private static JavaSparkContext sc;
  @TempDir static Path shared;
  private static String manifest;

  @TempDir Path dir;

  @BeforeAll
  static void start() {
    sc = SparkContexts.builder().master("local[1]").uiEnabled(false).start();
    manifest = TinyRun.dataset(shared);
  }

  @AfterAll
  static void stop() {
    WarmCache.clear();
    sc.stop();
  }

  private static void train(Path config, Set<String> allowed) throws Exception {
    new TrainDriver(RunConfig.load(config), config.toString(), allowed,
        new PrintStream(new ByteArrayOutputStream())).run(sc, false);
  }

  private static JsonNode state(Path run, long step) throws Exception {
    return RunDirectory.open(run.toString(), new Configuration())
        .checkpoints(ai.igspark.ckpt.CommitPolicy.defaults()).open(step).state();
  }

  @Test
  void resumedWithALargerGlobalBatchTheEpochSeesEverySampleOnce() throws Exception {
    Path run = dir.resolve("run");
    // 3 steps of B = 8 (stream positions [0, 24)), then 2 of B = 12: [24, 48), the rest of
    // epoch 0 of the 48 samples.
    train(TinyRun.config(dir, "batch", run.toString(), manifest, 3, 3, 1), Set.of());
    Path larger = TinyRun.config(dir, "batch", run.toString(), manifest, 5, 3, 1);
    Files.writeString(larger, Files.readString(larger).replace("global_batch: 8", "global_batch: 12"));
    WarmCache.clear();
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
            .checkpoints(ai.igspark.ckpt.CommitPolicy.defaults()).open(3));
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
