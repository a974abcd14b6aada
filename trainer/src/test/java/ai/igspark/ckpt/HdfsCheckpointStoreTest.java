package ai.igspark.ckpt;

import static ai.igspark.ckpt.CheckpointFixtures.files;
import static ai.igspark.ckpt.CheckpointFixtures.readAll;
import static ai.igspark.ckpt.CheckpointFixtures.state;
import static ai.igspark.ckpt.CheckpointFixtures.write;
import static ai.igspark.ckpt.CheckpointFixtures.writeAndCommit;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.igspark.metrics.RetryRecord;
import ai.igspark.testsupport.MiniHdfs;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.OutputStream;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.hdfs.MiniDFSCluster;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The checkpoint store and run directory on a real (in-process) HDFS. */
class HdfsCheckpointStoreTest {
  @RegisterExtension static final MiniHdfs hdfs = MiniHdfs.named("ckpt");

  private static CheckpointStore store(String dir, int retries, Duration backoff)
      throws IOException {
    return new CheckpointStore(new Path(hdfs.uri(dir)), hdfs.conf(),
        CommitPolicy.defaults().withRetries(retries, backoff));
  }

  private static String dirFor(TestInfo t) {
    return "/runs/" + t.getTestMethod().orElseThrow().getName() + "/checkpoints";
  }

  private static FileSystem fs() throws IOException {
    return hdfs.fileSystem();
  }

  @Test
  void writeCommitLatestReadRoundTrip(TestInfo t) throws Exception {
    CheckpointStore store = store(dirFor(t), 2, Duration.ofMillis(100));
    assertEquals("hdfs", store.dir().toUri().getScheme());
    writeAndCommit(store, 100);
    writeAndCommit(store, 200);
    Checkpoint c = store(dirFor(t), 0, Duration.ZERO).latest().orElseThrow();
    assertEquals(200, c.step());
    assertEquals(2, c.state().get("epoch").asInt());
    for (var e : files(200).entrySet()) {
      assertArrayEquals(e.getValue(), readAll(c, e.getKey()), e.getKey());
    }
    assertEquals(List.of(100L, 200L), store.committedSteps());
  }

  @Test
  void checkpointWithoutManifestIsNeverLoaded(TestInfo t) throws Exception {
    CheckpointStore store = store(dirFor(t), 0, Duration.ZERO);
    writeAndCommit(store, 100);
    Path fake = store.stepDir(200);
    fs().mkdirs(fake);
    try (OutputStream out = fs().create(new Path(fake, "model.safetensors"))) {
      out.write(files(200).get("model.safetensors"));
    }
    assertEquals(100, store.latest().orElseThrow().step());
    assertThrows(CheckpointIntegrityException.class, () -> store.open(200));
    // Even when LATEST is pointed at it, the store falls back to the committed one.
    try (OutputStream out = fs().create(new Path(store.dir(), "LATEST"), true)) {
      out.write("step-00000200\n".getBytes());
    }
    assertEquals(100, store.latest().orElseThrow().step());
  }

  @Test
  void abandonedAttemptLeavesPreviousCheckpointAndIsCleanedLater(TestInfo t) throws Exception {
    CheckpointStore store = store(dirFor(t), 0, Duration.ZERO);
    writeAndCommit(store, 100);
    String attempt = store.newAttempt(200);
    CheckpointWriter w = CheckpointWriter.open(store.attemptUri(200, attempt), hdfs.conf());
    w.write("model.safetensors", s -> s.write(files(200).get("model.safetensors")));
    OutputStream half = w.create("ema.safetensors");
    half.write(new byte[100_000]);
    half.flush(); // the rank is killed here
    assertEquals(100, store.latest().orElseThrow().step());
    assertTrue(fs().exists(new Path(store.attemptUri(200, attempt))));
    assertEquals(1, store.cleanAttempts());
    assertFalse(fs().exists(new Path(store.attemptUri(200, attempt))));
    writeAndCommit(store, 200);
    assertEquals(200, store.latest().orElseThrow().step());
  }

  @Test
  void latestIsReplacedAtomicallyOverAnExistingOne(TestInfo t) throws Exception {
    CheckpointStore store = store(dirFor(t), 0, Duration.ZERO);
    for (long step = 1; step <= 4; step++) {
      writeAndCommit(store, step);
      assertEquals(step, store.readLatest().orElseThrow());
    }
    assertEquals(List.of(2L, 3L, 4L), store.committedSteps(), "keep 3");
  }

  @Test
  void dataNodeRestartDuringCommitIsRetriedToSuccess(TestInfo t) throws Exception {
    CheckpointStore store = store(dirFor(t), 6, Duration.ofMillis(500));
    writeAndCommit(store, 100);
    String attempt = store.newAttempt(200);
    List<FileEntry> entries = write(store, 200, attempt, files(200));
    MiniDFSCluster.DataNodeProperties dn = hdfs.stopDataNode();
    CompletableFuture<Void> restart = CompletableFuture.runAsync(() -> {
      try {
        Thread.sleep(1500);
        hdfs.restartDataNode(dn);
      } catch (Exception e) {
        throw new RuntimeException(e);
      }
    });
    try {
      Checkpoint c = store.commit(200, attempt, state(200), entries);
      assertEquals(200, c.step());
      assertTrue(store.lastCommitTries() > 1, "the first try met the stopped DataNode");
    } finally {
      restart.get(60, TimeUnit.SECONDS);
    }
    Checkpoint latest = store.latest().orElseThrow();
    assertEquals(200, latest.step());
    assertArrayEquals(files(200).get("optimizer.safetensors"),
        readAll(latest, "optimizer.safetensors"));
  }

  @Test
  void dataNodeDownThroughEveryRetryFailsClearlyWithoutAPartialCommit(TestInfo t)
      throws Exception {
    CheckpointStore store = store(dirFor(t), 2, Duration.ofMillis(200));
    writeAndCommit(store, 100);
    String attempt = store.newAttempt(200);
    List<FileEntry> entries = write(store, 200, attempt, files(200));
    MiniDFSCluster.DataNodeProperties dn = hdfs.stopDataNode();
    CheckpointCommitException e;
    try {
      e = assertThrows(CheckpointCommitException.class,
          () -> store.commit(200, attempt, state(200), entries));
    } finally {
      hdfs.restartDataNode(dn);
    }
    assertTrue(e.getMessage().contains("failed after 3 tries"), e.getMessage());
    assertTrue(e.getMessage().contains("LATEST still names step-00000100"), e.getMessage());
    assertFalse(fs().exists(store.stepDir(200)), "no step-00000200 directory");
    assertEquals(List.of(100L), store.committedSteps());
    assertEquals(100, store.latest().orElseThrow().step());
  }

  @Test
  void dataNodeLostWhileARankWritesFailsTheWriterAndKeepsTheCheckpoint(TestInfo t)
      throws Exception {
    CheckpointStore store = store(dirFor(t), 0, Duration.ZERO);
    writeAndCommit(store, 100);
    String attempt = store.newAttempt(200);
    CheckpointWriter w = store.writer(200, attempt);
    w.write("model.safetensors", s -> s.write(files(200).get("model.safetensors")));
    MiniDFSCluster.DataNodeProperties dn = hdfs.stopDataNode();
    try {
      assertThrows(IOException.class,
          () -> w.write("ema.safetensors", s -> s.write(files(200).get("ema.safetensors"))));
    } finally {
      hdfs.restartDataNode(dn);
    }
    assertEquals(100, store.latest().orElseThrow().step());
    store.cleanAttempts();
    writeAndCommit(store, 200);
    assertEquals(200, store.latest().orElseThrow().step());
  }

  @Test
  void runDirectoryOnHdfsKeepsRunYamlAndMetrics() throws Exception {
    RunDirectory run = RunDirectory.open(hdfs.uri("/runs/metrics"), hdfs.conf());
    ObjectMapper json = new ObjectMapper();
    var cfg = json.readTree("{\"train\": {\"steps\": 10}}");
    assertEquals(RunDirectory.ConfigOutcome.CREATED, run.guardConfig(cfg, List.of()).outcome());
    assertEquals(RunDirectory.ConfigOutcome.UNCHANGED, run.guardConfig(cfg, List.of()).outcome());
    try (MetricsLog a = run.openMetrics()) {
      a.append(retry(1));
      // A second writer while the first still holds the HDFS lease cannot append: its own part.
      try (MetricsLog b = run.openMetrics()) {
        assertNotEquals(a.file(), b.file());
        assertTrue(b.file().getName().startsWith("metrics-"), b.file().toString());
        b.append(retry(3));
      }
      a.append(retry(2));
    }
    try (MetricsLog c = run.openMetrics()) {
      assertEquals("metrics.jsonl", c.file().getName(), "append after the lease is released");
      c.append(retry(4));
    }
    assertEquals(List.of(1, 2, 4, 3),
        run.readMetrics().stream().map(n -> n.get("step").asInt()).toList());
  }

  @Test
  void brokenCheckpointOnHdfsIsMovedAsideAndLatestRepaired(TestInfo t) throws Exception {
    CheckpointStore store = store(dirFor(t), 0, Duration.ZERO);
    writeAndCommit(store, 100);
    writeAndCommit(store, 200);
    // Same size, other bytes: only the SHA-256 can tell.
    byte[] other = files(201).get("ema.safetensors");
    try (OutputStream out = fs().create(new Path(store.stepDir(200), "ema.safetensors"), true)) {
      out.write(other);
    }
    CheckpointStore.Recovery r = store.recover();
    assertEquals(100, r.checkpoint().orElseThrow().step());
    assertEquals(200, r.movedAside().get(0).step());
    assertTrue(fs().exists(new Path(r.movedAside().get(0).movedTo(), "ema.safetensors")));
    assertFalse(fs().exists(store.stepDir(200)));
    assertEquals(100, store.readLatest().orElseThrow());
    writeAndCommit(store, 200);
    assertEquals(200, store.latest().orElseThrow().step());
  }

  @Test
  void verifiedLocalFileOfAnHdfsCheckpointIsACopyHashedWhileCopied(TestInfo t) throws Exception {
    CheckpointStore store = store(dirFor(t), 0, Duration.ZERO);
    Checkpoint c = writeAndCommit(store, 100);
    java.nio.file.Path copy = c.verifiedLocalFile("ema.safetensors");
    assertArrayEquals(files(100).get("ema.safetensors"), java.nio.file.Files.readAllBytes(copy));
    try (OutputStream out = fs().create(new Path(store.stepDir(100), "ema.safetensors"), true)) {
      out.write(files(101).get("ema.safetensors"));
    }
    var e = assertThrows(CheckpointIntegrityException.class,
        () -> c.verifiedLocalFile("ema.safetensors"));
    assertTrue(e.getMessage().contains("ema.safetensors: SHA-256"), e.getMessage());
  }

  private static RetryRecord retry(long step) {
    return new RetryRecord(step, 0, "a" + step, "IOException: test", 1.0, "2026-01-01T00:00:00Z");
  }
}
