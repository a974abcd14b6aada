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
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.RandomAccessFile;
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
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path tmp;

  private CheckpointStore store(boolean rehash) throws IOException {
    return new CheckpointStore(new org.apache.hadoop.fs.Path(tmp.resolve("checkpoints").toUri()),
        new Configuration(),
        CommitPolicy.defaults().withRetries(0, Duration.ZERO).withVerification(true, rehash));
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

  static void flipByte(Path file, long at) throws IOException {
    try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
      f.seek(at);
      int b = f.read();
      f.seek(at);
      f.write(b ^ 0x5a);
    }
  }

  /** Rewrites MANIFEST.json through {@code edit} (a hand edit: the store never does this). */
  private static void editManifest(Path dir, java.util.function.Consumer<ObjectNode> edit)
      throws IOException {
    ObjectNode m = (ObjectNode) JSON.readTree(dir.resolve(CheckpointStore.MANIFEST).toFile());
    edit.accept(m);
    Files.write(dir.resolve(CheckpointStore.MANIFEST), JSON.writeValueAsBytes(m));
  }

  private static void dropEntry(ObjectNode manifest, String name) {
    ArrayNode files = (ArrayNode) manifest.get("files");
    for (int i = 0; i < files.size(); i++) {
      if (files.get(i).get("name").asText().equals(name)) {
        files.remove(i);
        return;
      }
    }
  }

  /** Each way a committed checkpoint gets damaged, and what the check that catches it says. */
  enum Damage {
    FLIPPED_BYTES_NO_CRC("ema.safetensors: SHA-256") {
      @Override
      void apply(Path dir) throws IOException {
        flipByte(dir.resolve("ema.safetensors"), 30_000);
        Files.delete(dir.resolve(".ema.safetensors.crc"));
      }
    },
    FLIPPED_BYTES_WITH_CRC("Hadoop checksum mismatch") {
      @Override
      void apply(Path dir) throws IOException {
        flipByte(dir.resolve("ema.safetensors"), 30_000); // the .crc beside it now disagrees
      }
    },
    TRUNCATED_FILE("size 69000 differs from the manifest's 70000") {
      @Override
      void apply(Path dir) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(dir.resolve("model.safetensors").toFile(),
            "rw")) {
          f.setLength(69_000);
        }
      }
    },
    EDITED_STATE("state.json: SHA-256") {
      @Override
      void apply(Path dir) throws IOException {
        Path state = dir.resolve(CheckpointStore.STATE);
        Files.writeString(state, Files.readString(state).replace("\"world_size\":2",
            "\"world_size\":3"));
      }
    },
    STATE_UNLIKE_THE_MANIFEST("state.json differs from the state in its MANIFEST.json") {
      @Override
      void apply(Path dir) throws IOException {
        byte[] edited = "{\"step\":30,\"epoch\":0,\"world_size\":3}".getBytes();
        Files.write(dir.resolve(CheckpointStore.STATE), edited);
        editManifest(dir, m -> {
          dropEntry(m, CheckpointStore.STATE);
          ((ArrayNode) m.get("files")).addObject().put("name", CheckpointStore.STATE)
              .put("size", edited.length).put("sha256", Sha256.of(edited));
        });
      }
    },
    MISSING_FILE("optimizer.safetensors: listed in MANIFEST but missing") {
      @Override
      void apply(Path dir) throws IOException {
        Files.delete(dir.resolve("optimizer.safetensors"));
      }
    },
    EXTRA_FILE("files not in its MANIFEST: [stray.bin]") {
      @Override
      void apply(Path dir) throws IOException {
        Files.write(dir.resolve("stray.bin"), new byte[] {1});
      }
    },
    UNREADABLE_MANIFEST("unreadable manifest") {
      @Override
      void apply(Path dir) throws IOException {
        Path m = dir.resolve(CheckpointStore.MANIFEST);
        Files.write(m, java.util.Arrays.copyOf(Files.readAllBytes(m), 100));
      }
    },
    MISSING_MANIFEST("has no MANIFEST.json") {
      @Override
      void apply(Path dir) throws IOException {
        Files.delete(dir.resolve(CheckpointStore.MANIFEST));
      }
    },
    MANIFEST_WITHOUT_THE_OPTIMIZER("incomplete checkpoint: its MANIFEST does not list"
        + " [optimizer.safetensors]") {
      @Override
      void apply(Path dir) throws IOException {
        editManifest(dir, m -> dropEntry(m, "optimizer.safetensors"));
        Files.delete(dir.resolve("optimizer.safetensors"));
        Files.delete(dir.resolve(".optimizer.safetensors.crc"));
      }
    };

    final String message;

    Damage(String message) {
      this.message = message;
    }

    abstract void apply(Path dir) throws IOException;
  }

  @ParameterizedTest
  @EnumSource(Damage.class)
  void damagedCheckpointNeverVerifies(Damage damage) throws Exception {
    CheckpointStore store = store(true);
    writeAndCommit(store, 30);
    damage.apply(stepDir(30));
    var e = assertThrows(CheckpointIntegrityException.class, () -> store.open(30));
    assertTrue(e.getMessage().contains(damage.message), e.getMessage());
  }

  @ParameterizedTest
  @EnumSource(Damage.class)
  void recoveryMovesTheDamagedNewestAsideRepairsLatestAndTheStepCommitsAgain(Damage damage)
      throws Exception {
    CheckpointStore store = store(true);
    writeAndCommit(store, 10);
    writeAndCommit(store, 20);
    writeAndCommit(store, 30);
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
    assertEquals("step-00000020", Files.readString(tmp.resolve("checkpoints/LATEST")).trim());

    // The retrained step commits like any other.
    writeAndCommit(store, 30);
    Checkpoint latest = store.latest().orElseThrow();
    assertEquals(30, latest.step());
    assertArrayEquals(files(30).get("ema.safetensors"), readAll(latest, "ema.safetensors"));
  }

  @Test
  void everyBrokenCheckpointNewerThanTheOneThatVerifiesIsMovedAside() throws Exception {
    CheckpointStore store = store(true);
    for (long step = 10; step <= 30; step += 10) {
      writeAndCommit(store, step);
    }
    Damage.FLIPPED_BYTES_WITH_CRC.apply(stepDir(30));
    Damage.MISSING_FILE.apply(stepDir(20));
    CheckpointStore.Recovery r = store.recover();
    assertEquals(10, r.checkpoint().orElseThrow().step());
    assertEquals(List.of(30L, 20L), r.movedAside().stream().map(BrokenCheckpoint::step).toList());
    assertEquals(List.of(10L), store.committedSteps());
    assertEquals("step-00000010", Files.readString(tmp.resolve("checkpoints/LATEST")).trim());
  }

  @Test
  void whenNoCheckpointVerifiesTheErrorListsEachAndWhyAndNothingMoves() throws Exception {
    CheckpointStore store = store(true);
    writeAndCommit(store, 10);
    writeAndCommit(store, 20);
    Damage.FLIPPED_BYTES_NO_CRC.apply(stepDir(20));
    Damage.TRUNCATED_FILE.apply(stepDir(10));
    List<String> before = listing();

    var e = assertThrows(NoVerifiedCheckpointException.class, store::recover);

    String m = e.getMessage();
    assertTrue(m.contains("no checkpoint verifies"), m);
    assertTrue(m.contains("step-00000020 (named by LATEST): "), m);
    assertTrue(m.contains(Damage.FLIPPED_BYTES_NO_CRC.message), m);
    assertTrue(m.contains("step-00000010: "), m);
    assertTrue(m.contains(Damage.TRUNCATED_FILE.message), m);
    assertEquals(before, listing());
    assertEquals("step-00000020", Files.readString(tmp.resolve("checkpoints/LATEST")).trim());
  }

  @Test
  void readOnlyLatestFallsBackWithoutMovingOrRewritingAnything() throws Exception {
    CheckpointStore store = store(true);
    writeAndCommit(store, 10);
    writeAndCommit(store, 20);
    Damage.EDITED_STATE.apply(stepDir(20));
    assertEquals(10, store.latest().orElseThrow().step());
    assertEquals(List.of("LATEST", "step-00000010", "step-00000020"), listing());
    assertEquals("step-00000020", Files.readString(tmp.resolve("checkpoints/LATEST")).trim());
  }

  @Test
  void latestThatNamesNoStepIsRepairedToTheNewestCheckpoint() throws Exception {
    CheckpointStore store = store(true);
    writeAndCommit(store, 10);
    writeAndCommit(store, 20);
    Files.writeString(tmp.resolve("checkpoints/LATEST"), "garbage\n");
    CheckpointStore.Recovery r = store.recover();
    assertEquals(20, r.checkpoint().orElseThrow().step());
    assertEquals(List.of(), r.movedAside());
    assertEquals("step-00000020", Files.readString(tmp.resolve("checkpoints/LATEST")).trim());
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
    Damage.FLIPPED_BYTES_WITH_CRC.apply(stepDir(10));
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
    Damage.FLIPPED_BYTES_NO_CRC.apply(stepDir(10)); // byte 30,000: after what is read below
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
    Damage.FLIPPED_BYTES_NO_CRC.apply(step20);

    assertEquals(10, run.recoverLatest(store).orElseThrow().step());

    List<JsonNode> records = run.readMetrics();
    assertEquals(1, records.size(), records.toString());
    JsonNode r = records.get(0);
    assertEquals("checkpoint_broken", r.get("kind").asText());
    assertEquals(20, r.get("step").asLong());
    assertTrue(r.get("reason").asText().contains(Damage.FLIPPED_BYTES_NO_CRC.message),
        r.toString());
    assertTrue(r.get("moved_to").asText().contains("step-00000020.broken-"), r.toString());
    assertTrue(Files.isDirectory(Path.of(new org.apache.hadoop.fs.Path(
        r.get("moved_to").asText()).toUri())));
  }
}
