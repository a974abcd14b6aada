package ai.igspark.metrics.tensorboard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.igspark.metrics.tensorboard.TfEventsReader.Event;
import ai.igspark.testsupport.MiniHdfs;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.hdfs.MiniDFSCluster;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Storage that cannot be written never reaches training: no writer call throws, {@link
 * TensorBoardWriter#health()} says what happened, and writing resumes in a new file once the
 * storage can be written again. The failures are real ones, not injected: a regular file where
 * the directory should be (refused to root too), and an HDFS whose only DataNode stops mid-run.
 */
class TensorBoardWriterFailureTest {
  private static final ImageGrid PIXEL = new ImageGrid(1, 1, 1, new byte[] {7});

  @Test
  void aDirectoryThatCannotBeCreatedNeverThrowsAndIsReported(@TempDir Path run) throws Exception {
    Path blocked = Files.writeString(run.resolve("tensorboard"), "not a directory");
    FileSystem fs = FileSystem.getLocal(new Configuration());
    TensorBoardWriter tb = TensorBoardWriter.open(fs, hadoopPath(blocked));
    tb.scalar("train/loss", 1, 0.5);
    tb.image("eval/samples", 1, PIXEL);
    tb.flush();
    tb.sessionStart(2);
    tb.close();
    TensorBoardWriter.Health h = tb.health();
    assertFalse(h.writing());
    assertEquals(0, h.recordsWritten());
    assertEquals(3, h.recordsDropped());
    assertTrue(h.lastError().orElseThrow().contains("creating an event file in "
        + hadoopPath(blocked)), h.lastError().orElseThrow());
    assertEquals("not a directory", Files.readString(blocked), "the file in the way is kept");
  }

  @Test
  void writingResumesInANewFileOnceTheDirectoryCanBeCreated(@TempDir Path run) throws Exception {
    Path dir = run.resolve("tensorboard");
    Files.writeString(dir, "in the way");
    FileSystem fs = FileSystem.getLocal(new Configuration());
    try (TensorBoardWriter tb = TensorBoardWriter.open(fs, hadoopPath(dir), Duration.ZERO)) {
      tb.scalar("train/loss", 1, 0.5);
      tb.flush();
      Files.delete(dir);
      tb.scalar("train/loss", 2, 0.25);
      tb.flush();
      TensorBoardWriter.Health h = tb.health();
      assertTrue(h.writing(), h.toString());
      assertEquals(1, h.recordsWritten());
      assertEquals(1, h.recordsDropped());
    }
    List<Event> events = TfEventsReader.events(dir);
    assertEquals(List.of("file_version", "summary"), events.stream().map(Event::what).toList());
    assertEquals(2, events.get(1).step());
  }

  @Test
  void aDataNodeLostMidRunNeverThrowsAndWritingResumesWhenItReturns(@TempDir Path local)
      throws Exception {
    try (MiniHdfs hdfs = MiniHdfs.named("tensorboard").start()) {
      FileSystem fs = FileSystem.newInstance(URI.create(hdfs.uri("/")), hdfs.conf());
      org.apache.hadoop.fs.Path dir = new org.apache.hadoop.fs.Path(hdfs.uri("/run/tensorboard"));
      try (TensorBoardWriter tb = TensorBoardWriter.open(fs, dir, Duration.ZERO)) {
        tb.scalar("train/loss", 1, 0.5);
        tb.flush();
        assertTrue(tb.health().writing(), tb.health().toString());

        MiniDFSCluster.DataNodeProperties dn = hdfs.stopDataNode();
        tb.scalar("train/loss", 2, 0.25);
        tb.image("eval/samples", 2, PIXEL);
        tb.flush(); // the open file fails: abandoned
        tb.scalar("train/loss", 3, 0.125);
        tb.flush(); // a new file cannot get a block either
        TensorBoardWriter.Health down = tb.health();
        assertFalse(down.writing(), down.toString());
        assertEquals(1, down.recordsWritten());
        assertEquals(3, down.recordsDropped());
        assertTrue(down.lastError().isPresent());

        hdfs.restartDataNode(dn);
        tb.scalar("train/loss", 4, 0.0625);
        tb.flush();
        TensorBoardWriter.Health up = tb.health();
        assertTrue(up.writing(), up.toString());
        assertEquals(2, up.recordsWritten());
        tb.close();
        // Raw local copy: a .crc beside it would be read as an event file too.
        fs.copyToLocalFile(false, up.file().orElseThrow(),
            hadoopPath(local.resolve(up.file().orElseThrow().getName())), true);
      } finally {
        fs.close();
      }
    }
    List<Event> events = TfEventsReader.events(local);
    assertEquals(List.of("file_version", "summary"), events.stream().map(Event::what).toList());
    assertEquals(4, events.get(1).step());
  }

  private static org.apache.hadoop.fs.Path hadoopPath(Path p) throws IOException {
    return new org.apache.hadoop.fs.Path(p.toUri());
  }
}
