package ai.igspark.ckpt;

import static ai.igspark.ckpt.CheckpointDamage.flipByte;
import static ai.igspark.ckpt.CheckpointFixtures.files;
import static ai.igspark.ckpt.CheckpointFixtures.writeAndCommit;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.igspark.data.InvalidInputException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The read-only ways in: a run's checkpoint, a file inside one, a URI read on an executor. */
class CheckpointReaderTest {
  @TempDir Path tmp;

  private CheckpointStore run() throws IOException {
    return RunDirectory.open(tmp.resolve("run").toString(), new Configuration())
        .checkpoints(CommitPolicy.defaults());
  }

  private Path file(long step, String name) {
    return tmp.resolve("run/checkpoints").resolve(CheckpointStore.stepName(step)).resolve(name);
  }

  private static byte[] readUri(Path file) throws IOException {
    try (InputStream in = CheckpointReader.open(file.toUri().toString(), new Configuration())) {
      return in.readAllBytes();
    }
  }

  private static org.apache.hadoop.fs.Path hadoop(Path p) {
    return new org.apache.hadoop.fs.Path(p.toUri());
  }

  @Test
  void ofRunOpensLatestByDefaultAndTheGivenStepOnRequest() throws Exception {
    CheckpointStore store = run();
    writeAndCommit(store, 10);
    writeAndCommit(store, 20);
    String run = tmp.resolve("run").toString();
    assertEquals(20, CheckpointReader.ofRun(run, OptionalLong.empty(), new Configuration()).step());
    assertEquals(10, CheckpointReader.ofRun(run, OptionalLong.of(10), new Configuration()).step());
  }

  @Test
  void ofRunWithoutACheckpointOrOfAMissingStepSaysWhatThereIs() throws Exception {
    Files.createDirectories(tmp.resolve("empty/checkpoints"));
    var none = assertThrows(InvalidInputException.class, () -> CheckpointReader.ofRun(
        tmp.resolve("empty").toString(), OptionalLong.empty(), new Configuration()));
    assertTrue(none.getMessage().contains("no committed checkpoint"), none.getMessage());

    writeAndCommit(run(), 10);
    var missing = assertThrows(InvalidInputException.class, () -> CheckpointReader.ofRun(
        tmp.resolve("run").toString(), OptionalLong.of(30), new Configuration()));
    assertTrue(missing.getMessage().contains("no checkpoint step-00000030 (committed steps: [10])"),
        missing.getMessage());
    assertTrue(Files.notExists(tmp.resolve("nowhere")));
    assertThrows(InvalidInputException.class, () -> CheckpointReader.ofRun(
        tmp.resolve("nowhere").toString(), OptionalLong.empty(), new Configuration()));
    assertTrue(Files.notExists(tmp.resolve("nowhere")), "a reader creates nothing");
  }

  @Test
  void fileOfACheckpointReadByUriIsVerifiedWhileItStreams() throws Exception {
    writeAndCommit(run(), 10);
    Path ema = file(10, "ema.safetensors");
    assertArrayEquals(files(10).get("ema.safetensors"), readUri(ema));
    flipByte(ema);
    Files.delete(ema.resolveSibling(".ema.safetensors.crc"));
    var e = assertThrows(CheckpointIntegrityException.class, () -> readUri(ema));
    assertTrue(e.getMessage().contains("ema.safetensors: SHA-256"), e.getMessage());
  }

  @Test
  void fileOutsideAnyCheckpointIsReadAsItIs() throws Exception {
    Path plain = tmp.resolve("weights/ema.safetensors");
    Files.createDirectories(plain.getParent());
    Files.write(plain, new byte[] {1, 2, 3});
    assertArrayEquals(new byte[] {1, 2, 3}, readUri(plain));
    assertTrue(CheckpointReader.containing(hadoop(plain), new Configuration()).isEmpty());
  }

  @Test
  void fileInAStepDirectoryWithoutManifestIsNotRead() throws Exception {
    Path orphan = tmp.resolve("run/checkpoints/step-00000040/ema.safetensors");
    Files.createDirectories(orphan.getParent());
    Files.write(orphan, new byte[] {1, 2, 3});
    var e = assertThrows(CheckpointIntegrityException.class, () -> readUri(orphan));
    assertTrue(e.getMessage().contains("without MANIFEST.json"), e.getMessage());
    assertThrows(CheckpointIntegrityException.class,
        () -> CheckpointReader.containing(hadoop(orphan), new Configuration()));
  }

  @Test
  void containingChecksTheWholeCheckpointItBelongsTo() throws Exception {
    writeAndCommit(run(), 10);
    Path ema = file(10, "ema.safetensors");
    assertEquals(10, CheckpointReader.containing(hadoop(ema), new Configuration())
        .orElseThrow().step());
    Files.delete(file(10, "optimizer.safetensors"));
    var e = assertThrows(CheckpointIntegrityException.class,
        () -> CheckpointReader.containing(hadoop(ema), new Configuration()));
    assertTrue(e.getMessage().contains("optimizer.safetensors: listed in MANIFEST but missing"),
        e.getMessage());
  }

  @Test
  void verifiedLocalFileOnTheLocalDiskIsTheFileItself() throws Exception {
    Checkpoint c = writeAndCommit(run(), 10);
    Path ema = c.verifiedLocalFile("ema.safetensors");
    assertEquals(file(10, "ema.safetensors").toRealPath(), ema.toRealPath());
    flipByte(ema);
    Files.delete(ema.resolveSibling(".ema.safetensors.crc"));
    assertThrows(CheckpointIntegrityException.class, () -> c.verifiedLocalFile("ema.safetensors"));
  }
}
