package ai.igspark.ckpt;

import static ai.igspark.ckpt.CheckpointFixtures.files;
import static ai.igspark.ckpt.CheckpointFixtures.readAll;
import static ai.igspark.ckpt.CheckpointFixtures.state;
import static ai.igspark.ckpt.CheckpointFixtures.write;
import static ai.igspark.ckpt.CheckpointFixtures.writeAndCommit;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.igspark.data.Sha256;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointStoreTest {
  @TempDir java.nio.file.Path tmp;

  private CheckpointStore store(CommitPolicy policy) throws IOException {
    return new CheckpointStore(new Path(tmp.resolve("checkpoints").toUri()), new Configuration(),
        policy);
  }

  private CheckpointStore store() throws IOException {
    return store(CommitPolicy.defaults().withRetries(2, Duration.ofMillis(10)));
  }

  private CheckpointStore faultyStore(int retries) throws IOException {
    return new CheckpointStore(new Path(tmp.resolve("checkpoints").toUri()),
        FaultyLocalFileSystem.configuration(),
        CommitPolicy.defaults().withRetries(retries, Duration.ofMillis(10)));
  }

  private java.nio.file.Path local(String name) {
    return tmp.resolve("checkpoints").resolve(name);
  }

  private List<String> listing() throws IOException {
    try (Stream<java.nio.file.Path> s = Files.list(tmp.resolve("checkpoints"))) {
      return s.map(p -> p.getFileName().toString()).filter(n -> !n.endsWith(".crc")).sorted()
          .toList();
    }
  }

  @AfterEach
  void noFaults() {
    FaultyLocalFileSystem.reset();
  }

  @Test
  void aCommitThatWouldMoveLatestBackwardsIsRefused() throws Exception {
    CheckpointStore late = store();
    String attempt = late.newAttempt(10); // a driver still training towards step 10 ...
    List<FileEntry> entries = write(late, 10, attempt, files(10));
    writeAndCommit(store(), 40); // ... while another committed step 40

    CheckpointIntegrityException e = assertThrows(CheckpointIntegrityException.class,
        () -> late.commit(10, attempt, state(10), entries));

    assertTrue(e.getMessage().contains("LATEST names step-00000040, newer than step-00000010:"
        + " refusing to move it backwards"), e.getMessage());
    assertEquals(40, store().readLatest().getAsLong());
    assertFalse(Files.exists(local("step-00000010")), "nothing moved into place");
    assertEquals(1, late.lastCommitTries(), "not retried");
  }

  @Test
  void newRunHasNoLatestCheckpoint() throws Exception {
    assertTrue(store().latest().isEmpty());
  }

  @Test
  void committedFilesReadBackExactlyWithTheirState() throws Exception {
    CheckpointStore store = store();
    writeAndCommit(store, 50_000);
    Checkpoint c = store.latest().orElseThrow();
    assertEquals(50_000, c.step());
    assertEquals(500, c.state().get("epoch").asLong());
    for (var e : files(50_000).entrySet()) {
      assertArrayEquals(e.getValue(), readAll(c, e.getKey()), e.getKey());
    }
    assertEquals("step-00050000", Files.readString(local("LATEST")).trim());
    assertTrue(Files.exists(local("step-00050000").resolve("MANIFEST.json")));
    assertTrue(Files.exists(local("step-00050000").resolve("state.json")));
    assertEquals(List.of("LATEST", "step-00050000"), listing());
  }

  @Test
  void manifestListsEveryFileWithSizeAndSha256() throws Exception {
    Checkpoint c = writeAndCommit(store(), 7);
    CheckpointManifest m = c.manifest();
    assertEquals(7, m.step());
    assertEquals(List.of("ema.safetensors", "model.safetensors", "optimizer.safetensors",
        "state.json"), m.files().stream().map(FileEntry::name).toList());
    FileEntry model = m.file("model.safetensors").orElseThrow();
    assertEquals(70_000, model.size());
    assertEquals(Sha256.of(files(7).get("model.safetensors")), model.sha256());
  }

  @Test
  void stepDirectoryWithoutManifestIsNeverLoaded() throws Exception {
    CheckpointStore store = store();
    writeAndCommit(store, 10);
    // A step directory with complete-looking files but no MANIFEST (e.g. written by hand).
    Files.createDirectories(local("step-00000020"));
    Files.write(local("step-00000020").resolve("model.safetensors"), new byte[] {1, 2, 3});
    assertEquals(10, store.latest().orElseThrow().step());
    assertEquals(List.of(10L), store.committedSteps());
    var e = assertThrows(CheckpointIntegrityException.class, () -> store.open(20));
    assertTrue(e.getMessage().contains("has no MANIFEST.json"), e.getMessage());
  }

  @Test
  void latestNamingABrokenCheckpointFallsBackToTheNewestValidOne() throws Exception {
    CheckpointStore store = store();
    writeAndCommit(store, 10);
    writeAndCommit(store, 20);
    Files.delete(local("step-00000020").resolve("MANIFEST.json"));
    assertEquals(10, store.latest().orElseThrow().step());
  }

  @Test
  void flippedByteIsCaughtOnReadAndOnLoad() throws Exception {
    CheckpointStore store = store();
    writeAndCommit(store, 10);
    writeAndCommit(store, 20);
    java.nio.file.Path model = local("step-00000020").resolve("model.safetensors");
    try (RandomAccessFile f = new RandomAccessFile(model.toFile(), "rw")) {
      f.seek(1000);
      int b = f.read();
      f.seek(1000);
      f.write(b ^ 0xff);
    }
    Files.deleteIfExists(local("step-00000020").resolve(".model.safetensors.crc"));
    CheckpointStore noVerify = store(CommitPolicy.defaults().withVerification(true, false));
    Checkpoint c20 = noVerify.open(20);
    var e = assertThrows(CheckpointIntegrityException.class,
        () -> readAll(c20, "model.safetensors"));
    assertTrue(e.getMessage().contains("model.safetensors: SHA-256"), e.getMessage());
    assertEquals(10, store.latest().orElseThrow().step(), "verifying load skips the corrupt step");
  }

  @Test
  void abandonedWriterLeavesThePreviousCheckpointAndIsCleanedLater() throws Exception {
    CheckpointStore store = store();
    writeAndCommit(store, 10);
    String attempt = store.newAttempt(20);
    OutputStream half = store.writer(20, attempt).create("model.safetensors");
    half.write(new byte[4096]); // the rank dies here: never closed, never reported
    assertEquals(10, store.latest().orElseThrow().step());
    assertTrue(listing().contains("step-00000020.attempt-" + attempt), listing().toString());
    Files.writeString(local("LATEST.tmp-5f3a"), "step-00000020\n"); // a crash mid-replace
    assertEquals(1, store.cleanAttempts());
    assertEquals(List.of("LATEST", "step-00000010"), listing());
    assertEquals(10, store.latest().orElseThrow().step());
  }

  @Test
  void commitRemovesStaleAttemptsOfEarlierSteps() throws Exception {
    CheckpointStore store = store();
    String stale = store.newAttempt(20);
    store.writer(20, stale).write("model.safetensors", s -> s.write(1));
    writeAndCommit(store, 20);
    assertEquals(List.of("LATEST", "step-00000020"), listing());
  }

  @Test
  void unreportedFileInTheAttemptRefusesTheCommit() throws Exception {
    CheckpointStore store = store();
    writeAndCommit(store, 10);
    String attempt = store.newAttempt(20);
    List<FileEntry> entries = write(store, 20, attempt, files(20));
    store.writer(20, attempt).write("zombie.bin", s -> s.write(7));
    var e = assertThrows(CheckpointIntegrityException.class,
        () -> store.commit(20, attempt, state(20), entries));
    assertTrue(e.getMessage().contains("[zombie.bin]"), e.getMessage());
    assertEquals(10, store.latest().orElseThrow().step());
    assertFalse(Files.exists(local("step-00000020.attempt-" + attempt).resolve("MANIFEST.json")));
  }

  @Test
  void missingReportedFileRefusesTheCommit() throws Exception {
    CheckpointStore store = store();
    String attempt = store.newAttempt(20);
    List<FileEntry> entries = new ArrayList<>(write(store, 20, attempt, files(20)));
    entries.add(new FileEntry("rank1.safetensors", 3, Sha256.of(new byte[] {1, 2, 3})));
    var e = assertThrows(CheckpointIntegrityException.class,
        () -> store.commit(20, attempt, state(20), entries));
    assertTrue(e.getMessage().contains("files missing [rank1.safetensors]"), e.getMessage());
    assertTrue(store.latest().isEmpty());
  }

  @Test
  void checksumDifferentFromTheReportRefusesTheCommit() throws Exception {
    CheckpointStore store = store();
    String attempt = store.newAttempt(20);
    List<FileEntry> entries = new ArrayList<>(write(store, 20, attempt, files(20)));
    FileEntry model = entries.remove(0);
    entries.add(new FileEntry(model.name(), model.size(), Sha256.of(new byte[] {9})));
    var e = assertThrows(CheckpointIntegrityException.class,
        () -> store.commit(20, attempt, state(20), entries));
    assertTrue(e.getMessage().contains(model.name() + ": SHA-256"), e.getMessage());
  }

  @Test
  void commitIsIdempotentForTheSameAttempt() throws Exception {
    CheckpointStore store = store();
    String attempt = store.newAttempt(30);
    List<FileEntry> entries = write(store, 30, attempt, files(30));
    store.commit(30, attempt, state(30), entries);
    Checkpoint again = store.commit(30, attempt, state(30), entries);
    assertEquals(30, again.step());
    assertEquals(attempt, again.manifest().attempt());
  }

  @Test
  void anotherAttemptCannotReplaceTheLatestCheckpoint() throws Exception {
    CheckpointStore store = store();
    writeAndCommit(store, 30);
    String other = store.newAttempt(30);
    List<FileEntry> entries = write(store, 30, other, files(31));
    var e = assertThrows(CheckpointIntegrityException.class,
        () -> store.commit(30, other, state(30), entries));
    assertTrue(e.getMessage().contains("already the committed LATEST"), e.getMessage());
    assertArrayEquals(files(30).get("model.safetensors"),
        readAll(store.latest().orElseThrow(), "model.safetensors"));
  }

  @Test
  void retentionKeepsTheNewestAndPinnedSteps() throws Exception {
    CheckpointStore store = store(CommitPolicy.defaults()
        .withRetries(0, Duration.ZERO).withRetention(2, Set.of(20L)));
    for (long step = 10; step <= 50; step += 10) {
      writeAndCommit(store, step);
    }
    assertEquals(List.of(20L, 40L, 50L), store.committedSteps());
    assertEquals(50, store.latest().orElseThrow().step());
  }

  @Test
  void failedLatestRenameLeavesThePreviousLatestIntact() throws Exception {
    CheckpointStore store = faultyStore(2);
    writeAndCommit(store, 10);
    FaultyLocalFileSystem.failRenamesTo(p -> p.getName().equals("LATEST"), 100);
    var e = assertThrows(CheckpointCommitException.class, () -> writeAndCommit(store, 20));
    assertTrue(e.getMessage().contains("failed after 3 tries"), e.getMessage());
    assertTrue(e.getMessage().contains("LATEST still names step-00000010"), e.getMessage());
    assertEquals(3, FaultyLocalFileSystem.injected.get());
    assertEquals("step-00000010", Files.readString(local("LATEST")).trim());
    assertEquals(10, store.latest().orElseThrow().step());

    // Once the filesystem recovers, training redoes the step and commits it over the orphan.
    FaultyLocalFileSystem.reset();
    writeAndCommit(store, 20);
    assertEquals(20, store.latest().orElseThrow().step());
  }

  @Test
  void transientRenameFailuresAreRetried() throws Exception {
    CheckpointStore store = faultyStore(3);
    writeAndCommit(store, 10);
    FaultyLocalFileSystem.failRenamesTo(p -> p.getName().equals("step-00000020"), 2);
    Checkpoint c = writeAndCommit(store, 20);
    assertEquals(2, FaultyLocalFileSystem.injected.get());
    assertEquals(20, c.step());
    assertEquals(20, store.latest().orElseThrow().step());
    assertArrayEquals(files(20).get("ema.safetensors"),
        readAll(store.latest().orElseThrow(), "ema.safetensors"));
  }

  @Test
  void failedManifestRenameNeverExposesAPartialCheckpoint() throws Exception {
    CheckpointStore store = faultyStore(1);
    writeAndCommit(store, 10);
    FaultyLocalFileSystem.failRenamesTo(p -> p.getName().equals("MANIFEST.json"), 100);
    assertThrows(CheckpointCommitException.class, () -> writeAndCommit(store, 20));
    assertFalse(Files.exists(local("step-00000020")));
    assertEquals(List.of(10L), store.committedSteps());
    assertEquals(10, store.latest().orElseThrow().step());
  }

  @Test
  void reservedFileNamesCannotBeWrittenByRanks() throws Exception {
    CheckpointStore store = store();
    CheckpointWriter w = store.writer(1, store.newAttempt(1));
    for (String name : List.of("MANIFEST.json", "state.json", "a/b", "x.tmp-1", ".hidden")) {
      var e = assertThrows(IllegalArgumentException.class, () -> w.create(name));
      assertTrue(e.getMessage().contains(name), e.getMessage());
    }
  }

  @Test
  void readOfAFileNotInTheManifestNamesWhatIsThere() throws Exception {
    Checkpoint c = writeAndCommit(store(), 5);
    var e = assertThrows(java.io.FileNotFoundException.class, () -> c.read("nope.bin"));
    assertTrue(e.getMessage().contains("model.safetensors"), e.getMessage());
  }

  @Test
  void writerStreamsAreHashedWhileWritten() throws Exception {
    CheckpointStore store = store();
    String attempt = store.newAttempt(1);
    CheckpointWriter w = store.writer(1, attempt);
    byte[] data = CheckpointFixtures.payload(3, 10_000);
    try (OutputStream out = w.create("part-0.bin")) {
      out.write(data, 0, 5000);
      out.write(data[5000]);
      out.write(data, 5001, 4999);
    }
    assertEquals(List.of(new FileEntry("part-0.bin", 10_000, Sha256.of(data))), w.files());
    for (var e : files(1).entrySet()) { // what a resume needs, or the commit is refused
      w.write(e.getKey(), s -> s.write(e.getValue()));
    }
    Checkpoint c = store.commit(1, attempt, state(1), w.files());
    try (InputStream in = c.read("part-0.bin")) {
      assertArrayEquals(data, in.readAllBytes());
    }
  }
}
