package ai.igspark.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.igspark.ckpt.CheckpointDamage;
import ai.igspark.ckpt.CheckpointStore;
import ai.igspark.ckpt.CommittedRun;
import ai.igspark.ckpt.RunDirectory;
import ai.igspark.testsupport.IgsparkProcess;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Training with a damaged newest checkpoint (docs/RELIABILITY.md "Damaged checkpoints and
 * verified reads"): the driver moves it aside, repairs LATEST, retrains the segment and commits
 * it, ending with the weights of an undamaged run; with no checkpoint left that verifies, {@code
 * igspark train} stops with exit 2 and one message naming each; a rank verifies what it loads.
 */
class CheckpointRecoveryTest {
  @RegisterExtension static final LocalTraining training = new LocalTraining();
  private static Path reference;

  @TempDir Path dir;

  @BeforeAll
  static void start() throws Exception {
    reference = training.shared().resolve("reference");
    train(TinyRun.config(training.shared(), "reference", reference.toString(),
        training.manifest(), 6, 3, 1), Set.of());
  }

  private static TrainDriver.Outcome train(Path config, Set<String> allowed) throws Exception {
    return training.train(config, allowed);
  }

  private static Path ckpt(Path run, long step) {
    return run.resolve("checkpoints").resolve(CheckpointStore.stepName(step));
  }

  private static List<Path> brokenCopies(Path run) throws IOException {
    try (Stream<Path> s = Files.list(run.resolve("checkpoints"))) {
      return s.filter(p -> p.getFileName().toString().contains(".broken-")).toList();
    }
  }

  @ParameterizedTest
  @EnumSource(CheckpointDamage.class)
  void damagedNewestCheckpointIsMovedAsideAndTheRetrainedStepCommits(CheckpointDamage damage)
      throws Exception {
    Path run = dir.resolve("run");
    Path config = TinyRun.config(dir, "recovers", run.toString(), training.manifest(), 6, 3, 1);
    train(config, Set.of());
    damage.apply(ckpt(run, 6));
    WarmCache.clear(); // the resumed segment loads step 3 from disk

    TrainDriver.Outcome out = train(config, Set.of());

    assertEquals(6, out.step());
    assertEquals(1, out.segments(), "one segment retrained");
    assertEquals("step-00000006",
        Files.readString(run.resolve("checkpoints/LATEST")).trim());
    assertArrayEquals(TinyRun.tensorBytes(ckpt(reference, 6).resolve(TrainingState.EMA_FILE)),
        TinyRun.tensorBytes(ckpt(run, 6).resolve(TrainingState.EMA_FILE)));
    List<Path> broken = brokenCopies(run);
    assertEquals(1, broken.size(), broken.toString());
    assertTrue(broken.get(0).getFileName().toString().startsWith("step-00000006.broken-"));
    List<JsonNode> records = RunDirectory.open(run.toString(), new Configuration())
        .readMetrics().stream()
        .filter(r -> r.get("kind").asText().equals("checkpoint_broken")).toList();
    assertEquals(1, records.size());
    assertEquals(6, records.get(0).get("step").asLong());
    assertTrue(records.get(0).get("reason").asText().contains(damage.message),
        records.get(0).toString());
    assertTrue(records.get(0).get("moved_to").asText().endsWith(
        broken.get(0).getFileName().toString()), records.get(0).toString());
  }

  @Test
  void rankLoadingARottedCheckpointFailsOnItsHashEvenWhenTheDriverSkippedIt() throws Exception {
    Path run = dir.resolve("no-verify-on-load");
    Path first = TinyRun.config(dir, "nvl", run.toString(), training.manifest(), 3, 3, 1);
    Files.writeString(first, Files.readString(first)
        .replace("keep: 5}", "keep: 5, verify_on_load: false}"));
    train(first, Set.of());
    CommittedRun.rot(ckpt(run, 3).resolve(TrainingState.EMA_FILE), false);
    WarmCache.clear();
    Path longer = TinyRun.config(dir, "nvl", run.toString(), training.manifest(), 6, 3, 1);
    Files.writeString(longer, Files.readString(longer)
        .replace("keep: 5}", "keep: 5, verify_on_load: false}"));

    var e = assertThrows(TrainDriver.TrainingFailedException.class,
        () -> train(longer, Set.of("train.steps")));

    assertTrue(e.getMessage().contains("ema.safetensors: SHA-256"), e.getMessage());
    assertFalse(Files.exists(ckpt(run, 6)));
  }

  /**
   * The user's view: trains 6 steps (checkpoints 3 and 6) here, damages step 6 (and step 3 when
   * {@code older} is given), then runs the same {@code igspark train} as a child JVM (~15 s).
   */
  private IgsparkProcess.Result trainAgainAfter(CheckpointDamage newest, CheckpointDamage older)
      throws Exception {
    Path run = dir.resolve("cli");
    Path config = TinyRun.config(dir, "cli", run.toString(), training.manifest(), 6, 3, 1);
    train(config, Set.of());
    newest.apply(ckpt(run, 6));
    if (older != null) {
      older.apply(ckpt(run, 3));
    }
    return IgsparkProcess.run(dir, Duration.ofMinutes(10), "train", "--config", config.toString());
  }

  @Test
  void trainWithABrokenNewestCheckpointSaysWhatItMovedAndExitsZero() throws Exception {
    IgsparkProcess.Result r = trainAgainAfter(CheckpointDamage.FLIPPED_BYTES_WITH_CRC, null);

    assertEquals(0, r.code(), r.output());
    assertTrue(r.output().contains("step-00000006 is broken"), r.output());
    assertTrue(r.output().contains("moved aside to"), r.output());
    assertTrue(r.output().contains("Hadoop checksum mismatch"), r.output());
    assertTrue(r.output().contains("trained 6/6 steps"), r.output());
    assertFalse(r.output().contains("ChecksumException\n\tat"), r.output());
  }

  @Test
  void trainWithNoCheckpointThatVerifiesStopsWithExitTwoListingEach() throws Exception {
    IgsparkProcess.Result r = trainAgainAfter(
        CheckpointDamage.FLIPPED_BYTES_NO_CRC, CheckpointDamage.EDITED_STATE);

    Path run = dir.resolve("cli");
    assertEquals(2, r.code(), r.output());
    String out = r.output();
    assertTrue(out.contains("igspark: error: "), out);
    assertTrue(out.contains("no checkpoint verifies, so the run cannot resume"), out);
    assertTrue(out.contains("step-00000006 (named by LATEST): "), out);
    assertTrue(out.contains(CheckpointDamage.FLIPPED_BYTES_NO_CRC.message), out);
    assertTrue(out.contains("step-00000003: "), out);
    assertTrue(out.contains(CheckpointDamage.EDITED_STATE.message), out);
    assertFalse(out.contains("\tat "), "no stack trace:\n" + out);
    assertTrue(Files.isDirectory(ckpt(run, 6)) && Files.isDirectory(ckpt(run, 3)));
    assertEquals(List.of(), brokenCopies(run), "nothing moved");
  }
}
