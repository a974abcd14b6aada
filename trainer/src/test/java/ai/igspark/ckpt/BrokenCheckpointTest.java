package ai.igspark.ckpt;

import static ai.igspark.ckpt.CheckpointFixtures.files;
import static ai.igspark.ckpt.CheckpointFixtures.readAll;
import static ai.igspark.ckpt.CheckpointFixtures.state;
import static ai.igspark.ckpt.CheckpointFixtures.write;
import static ai.igspark.ckpt.CheckpointFixtures.writeAndCommit;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A checkpoint found broken by any check is moved aside, LATEST is repaired, and the step commits
 * again; when none verifies, nothing moves and the error lists each (docs/RELIABILITY.md
 * "Damaged checkpoints and verified reads").
 */
class BrokenCheckpointTest {
  @TempDir Path tmp;

  private CheckpointStore store(boolean rehash) throws IOException {
    return new CheckpointStore(new org.apache.hadoop.fs.Path(tmp.resolve("checkpoints").toUri()),
        new Configuration(),
        CommitPolicy.defaults().withRetries(0, Duration.ZERO).withVerification(true, rehash));
  }

  /** A verifying store with {@code steps} committed, LATEST naming the last. */
  private CheckpointStore storeWith(long... steps) throws IOException {
    CheckpointStore store = store(true);
    for (long step : steps) {
      writeAndCommit(store, step);
    }
    return store;
  }

  private String latestName() throws IOException {
    return Files.readString(tmp.resolve("checkpoints/LATEST")).trim();
  }

  private Path stepDir(long step) {
    return tmp.resolve("checkpoints").resolve(CheckpointStore.stepName(step));
  }

  private List<String> listing() throws IOException {
    try (Stream<Path> s = Files.list(tmp.resolve("checkpoints"))) {
      return s.map(p -> p.getFileName().toString()).filter(n -> !n.startsWith(".")).sorted()
          .toList();
    }
  }

  @ParameterizedTest
  @EnumSource(CheckpointDamage.class)
  void damagedCheckpointNeverVerifies(CheckpointDamage damage) throws Exception {
    CheckpointStore store = storeWith(30);
    damage.apply(stepDir(30));
    var e = assertThrows(CheckpointIntegrityException.class, () -> store.open(30));
    assertTrue(e.getMessage().contains(damage.message), e.getMessage());
  }

  @ParameterizedTest
  @EnumSource(CheckpointDamage.class)
  void recoveryMovesTheDamagedNewestAsideRepairsLatestAndTheStepCommitsAgain(
      CheckpointDamage damage) throws Exception {
    CheckpointStore store = storeWith(10, 20, 30);
    damage.apply(stepDir(30));
    List<String> damagedFiles;
    try (Stream<Path> s = Files.list(stepDir(30))) {
      damagedFiles = s.map(p -> p.getFileName().toString()).sorted().toList();
    }

    CheckpointStore.Recovery r = store.recover();

    assertEquals(20, r.checkpoint().orElseThrow().step());
    assertEquals(1, r.movedAside().size());
    BrokenCheckpoint moved = r.movedAside().get(0);
    assertEquals(30, moved.step());
    assertTrue(moved.reason().contains(damage.message), moved.reason());
    Path aside = Path.of(new org.apache.hadoop.fs.Path(moved.movedTo()).toUri());
    assertTrue(aside.getFileName().toString().matches("step-00000030\\.broken-\\d{8}-\\d{6}"),
        aside.toString());
    try (Stream<Path> s = Files.list(aside)) {
      assertEquals(damagedFiles, s.map(p -> p.getFileName().toString()).sorted().toList(),
          "moved whole, nothing deleted");
    }
    assertEquals("step-00000020", latestName());

    // The retrained step commits like any other.
    writeAndCommit(store, 30);
    Checkpoint latest = store.latest().orElseThrow();
    assertEquals(30, latest.step());
    assertArrayEquals(files(30).get("ema.safetensors"), readAll(latest, "ema.safetensors"));
  }

  @Test
  void everyBrokenCheckpointNewerThanTheOneThatVerifiesIsMovedAside() throws Exception {
    CheckpointStore store = storeWith(10, 20, 30);
    CheckpointDamage.FLIPPED_BYTES_WITH_CRC.apply(stepDir(30));
    CheckpointDamage.MISSING_FILE.apply(stepDir(20));
    CheckpointStore.Recovery r = store.recover();
    assertEquals(10, r.checkpoint().orElseThrow().step());
    assertEquals(List.of(30L, 20L), r.movedAside().stream().map(BrokenCheckpoint::step).toList());
    assertEquals(List.of(10L), store.committedSteps());
    assertEquals("step-00000010", latestName());
  }

  @Test
  void whenNoCheckpointVerifiesTheErrorListsEachAndWhyAndNothingMoves() throws Exception {
    CheckpointStore store = storeWith(10, 20);
    CheckpointDamage.FLIPPED_BYTES_NO_CRC.apply(stepDir(20));
    CheckpointDamage.TRUNCATED_FILE.apply(stepDir(10));
    List<String> before = listing();

    var e = assertThrows(NoVerifiedCheckpointException.class, store::recover);

    String m = e.getMessage();
    assertTrue(m.contains("no checkpoint verifies"), m);
    assertTrue(m.contains("step-00000020 (named by LATEST): "), m);
    assertTrue(m.contains(CheckpointDamage.FLIPPED_BYTES_NO_CRC.message), m);
    assertTrue(m.contains("step-00000010: "), m);
    assertTrue(m.contains(CheckpointDamage.TRUNCATED_FILE.message), m);
    assertEquals(before, listing());
    assertEquals("step-00000020", latestName());
  }

  @Test
  void readOnlyLatestFallsBackWithoutMovingOrRewritingAnything() throws Exception {
    CheckpointStore store = storeWith(10, 20);
    CheckpointDamage.EDITED_STATE.apply(stepDir(20));
    assertEquals(10, store.latest().orElseThrow().step());
    assertEquals(List.of("LATEST", "step-00000010", "step-00000020"), listing());
    assertEquals("step-00000020", latestName());
  }

  @Test
  void latestThatNamesNoStepIsRepairedToTheNewestCheckpoint() throws Exception {
    CheckpointStore store = storeWith(10, 20);
    Files.writeString(tmp.resolve("checkpoints/LATEST"), "garbage\n");
    CheckpointStore.Recovery r = store.recover();
    assertEquals(20, r.checkpoint().orElseThrow().step());
    assertEquals(List.of(), r.movedAside());
    assertEquals("step-00000020", latestName());
  }

  @Test
  void commitWithoutAFileAResumeNeedsIsRefused() throws Exception {
    CheckpointStore store = store(true);
    String attempt = store.newAttempt(10);
    Map<String, byte[]> partial = new java.util.LinkedHashMap<>(files(10));
    partial.remove("optimizer.safetensors");
    List<FileEntry> entries = write(store, 10, attempt, partial);
    var e = assertThrows(CheckpointIntegrityException.class,
        () -> store.commit(10, attempt, state(10), entries));
    assertTrue(e.getMessage().contains("incomplete checkpoint: no rank reported"
        + " [optimizer.safetensors]"), e.getMessage());
    assertTrue(store.latest().isEmpty());
  }

  @Test
  void hadoopChecksumErrorWhileReadingIsAnIntegrityFailureNamingTheFile() throws Exception {
    CheckpointStore store = store(false); // the read itself finds it, not the load
    writeAndCommit(store, 10);
    CheckpointDamage.FLIPPED_BYTES_WITH_CRC.apply(stepDir(10));
    Checkpoint c = store.open(10);
    var e = assertThrows(CheckpointIntegrityException.class,
        () -> readAll(c, "ema.safetensors"));
    assertTrue(e.getMessage().contains("ema.safetensors: Hadoop checksum mismatch"),
        e.getMessage());
    assertTrue(e.getCause() instanceof org.apache.hadoop.fs.ChecksumException, e.toString());
  }

  @Test
  void streamClosedBeforeItsEndIsStillVerified() throws Exception {
    CheckpointStore store = store(false);
    writeAndCommit(store, 10);
    CheckpointDamage.FLIPPED_BYTES_NO_CRC.apply(stepDir(10)); // mid-file: after what is read
    Checkpoint c = store.open(10);
    InputStream in = c.read("ema.safetensors");
    assertEquals(100, in.readNBytes(100).length);
    var e = assertThrows(CheckpointIntegrityException.class, in::close);
    assertTrue(e.getMessage().contains("ema.safetensors: SHA-256"), e.getMessage());
  }

  @Test
  void recoveryThroughTheRunDirectoryWritesACheckpointBrokenRecord() throws Exception {
    RunDirectory run = RunDirectory.open(tmp.resolve("run").toString(), new Configuration());
    CheckpointStore store = run.checkpoints(CommitPolicy.defaults());
    writeAndCommit(store, 10);
    writeAndCommit(store, 20);
    Path step20 = tmp.resolve("run/checkpoints").resolve(CheckpointStore.stepName(20));
    CheckpointDamage.FLIPPED_BYTES_NO_CRC.apply(step20);

    assertEquals(10, run.recoverLatest(store).orElseThrow().step());

    List<JsonNode> records = run.readMetrics();
    assertEquals(1, records.size(), records.toString());
    JsonNode r = records.get(0);
    assertEquals("checkpoint_broken", r.get("kind").asText());
    assertEquals(20, r.get("step").asLong());
    assertTrue(r.get("reason").asText().contains(CheckpointDamage.FLIPPED_BYTES_NO_CRC.message),
        r.toString());
    assertTrue(r.get("moved_to").asText().contains("step-00000020.broken-"), r.toString());
    assertTrue(Files.isDirectory(Path.of(new org.apache.hadoop.fs.Path(
        r.get("moved_to").asText()).toUri())));
  }
}
