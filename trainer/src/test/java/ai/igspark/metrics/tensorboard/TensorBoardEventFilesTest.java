package ai.igspark.metrics.tensorboard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.igspark.metrics.tensorboard.TfEventsReader.Event;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Event files as written through the local Hadoop FileSystem, read back by the independent reader. */
class TensorBoardEventFilesTest {
  @TempDir Path run;
  private Path dir;
  private FileSystem fs;

  @BeforeEach
  void localFileSystem() throws IOException {
    dir = run.resolve("tensorboard");
    fs = FileSystem.getLocal(new Configuration());
  }

  private TensorBoardWriter open() {
    return TensorBoardWriter.open(fs, new org.apache.hadoop.fs.Path(dir.toUri()));
  }

  private record Scalar(String tag, long step, double value) {}

  @Test
  void everyScalarIsReadBackWithItsTagStepAndFloat32Value() throws Exception {
    List<Scalar> written = List.of(
        new Scalar("train/loss", 0, 0.0), new Scalar("train/loss", 1, -0.0),
        new Scalar("train/loss", 2, 0.123456789), new Scalar("train/lr", 2, 1e-30),
        new Scalar("train/grad_norm", 3, Double.NaN), new Scalar("train/loss_ig", 3, 1e300),
        new Scalar("eval/fid", 1L << 40, -7.25), new Scalar("评价/ünï", Long.MAX_VALUE, 42));
    try (TensorBoardWriter tb = open()) {
      for (Scalar s : written) {
        tb.scalar(s.tag(), s.step(), s.value());
      }
    }
    List<Event> read = summaries(TfEventsReader.events(dir));
    assertEquals(written.size(), read.size());
    for (int i = 0; i < written.size(); i++) {
      Scalar s = written.get(i);
      Event e = read.get(i);
      assertEquals(s.tag(), e.tag());
      assertEquals(s.step(), e.step());
      assertEquals(Float.floatToRawIntBits((float) s.value()), e.scalarBits(), s.toString());
    }
  }

  @Test
  void everyImageIsReadBackPixelForPixel() throws Exception {
    Random rnd = new Random(13);
    ImageGrid gray = new ImageGrid(7, 5, 1, randomBytes(rnd, 7 * 5));
    ImageGrid rgb = new ImageGrid(4, 9, 3, randomBytes(rnd, 4 * 9 * 3));
    BufferedImage drawn = new BufferedImage(6, 3, BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < 3; y++) {
      for (int x = 0; x < 6; x++) {
        drawn.setRGB(x, y, rnd.nextInt(1 << 24));
      }
    }
    List<ImageGrid> written = List.of(gray, rgb, ImageGrid.of(drawn));
    try (TensorBoardWriter tb = open()) {
      for (int i = 0; i < written.size(); i++) {
        tb.image("eval/samples", 100 * i, written.get(i));
      }
    }
    List<Event> read = summaries(TfEventsReader.events(dir));
    assertEquals(written.size(), read.size());
    for (int i = 0; i < written.size(); i++) {
      assertEquals("eval/samples", read.get(i).tag());
      assertEquals(100L * i, read.get(i).step());
      assertEquals(written.get(i), read.get(i).image(), "image " + i);
    }
    assertEquals(drawn.getRGB(4, 2) & 0xffffff, rgbAt(read.get(2).image(), 4, 2));
  }

  @Test
  void theFileIsNamedByConventionAndStartsWithTheFileVersion() throws Exception {
    long before = System.currentTimeMillis() / 1000;
    try (TensorBoardWriter tb = open()) {
      tb.scalar("train/loss", 1, 1);
    }
    long after = System.currentTimeMillis() / 1000;
    List<Event> events = TfEventsReader.events(dir);
    Event first = events.get(0);
    assertEquals("file_version", first.what());
    assertEquals("brain.Event:2", first.json().path("file_version").asText());
    String[] name = first.file().split("\\.", 5);
    assertEquals("events.out.tfevents", String.join(".", name[0], name[1], name[2]));
    long seconds = Long.parseLong(name[3]);
    assertTrue(before <= seconds && seconds <= after, first.file());
    assertTrue(!name[4].isEmpty() && name[4].matches("[A-Za-z0-9._-]+"), first.file());
    assertTrue(first.wallTime() >= before && first.wallTime() <= after + 1, "wall time");
    assertEquals(List.of(first.file()), listing(), "only the event file (no .crc beside it)");
  }

  @Test
  void aFlushedBatchIsReadableWhileTheWriterStaysOpen() throws Exception {
    try (TensorBoardWriter tb = open()) {
      tb.scalar("train/loss", 1, 0.5);
      tb.scalar("train/lr", 1, 1e-4);
      tb.flush();
      tb.scalar("train/loss", 2, 0.4);
      assertEquals(2, summaries(TfEventsReader.events(dir)).size(), "the flushed batch");
      tb.flush();
      assertEquals(3, summaries(TfEventsReader.events(dir)).size(), "after the second flush");
      assertEquals(3, tb.health().recordsWritten());
    }
  }

  @Test
  void afterCloseTheWriterReportsItsFileAndDropsLaterRecords() throws Exception {
    TensorBoardWriter tb = open();
    tb.scalar("train/loss", 1, 0.5);
    tb.close();
    tb.scalar("train/loss", 2, 0.25);
    tb.flush();
    TensorBoardWriter.Health h = tb.health();
    assertEquals(false, h.writing());
    assertEquals(1, h.recordsWritten());
    assertEquals(1, h.recordsDropped());
    assertEquals(listing(), List.of(h.file().orElseThrow().getName()));
    assertEquals(1, summaries(TfEventsReader.events(dir)).size());
  }

  @Test
  void aSecondSessionWritesItsOwnFileThatMarksWhereItStarts() throws Exception {
    try (TensorBoardWriter tb = open()) {
      tb.scalar("train/loss", 10, 1);
    }
    try (TensorBoardWriter tb = open()) {
      tb.sessionStart(6);
      tb.scalar("train/loss", 6, 2);
    }
    List<Event> events = TfEventsReader.events(dir);
    List<String> files = listing();
    assertEquals(2, files.size(), files.toString());
    List<String> seen = new ArrayList<>();
    events.forEach(e -> seen.add(e.what() + "@" + e.step() + " in " + files.indexOf(e.file())));
    assertEquals(
        List.of("file_version@0 in 0", "summary@10 in 0", "file_version@0 in 1",
            "session_log@6 in 1", "summary@6 in 1"),
        seen);
    assertEquals("START", events.get(3).json().path("session_log").asText());
  }

  @Test
  void theReaderRejectsARecordWhoseDataOrLengthCrcIsWrong() throws Exception {
    try (TensorBoardWriter tb = open()) {
      tb.scalar("train/loss", 1, 1);
    }
    Path file = dir.resolve(listing().get(0));
    long header = TfRecord.OVERHEAD + EventEncoder.fileVersion(0.5).length;
    flipByte(file, header + 20); // inside the scalar event's data
    TfEventsReader.Result data = TfEventsReader.run(dir);
    assertEquals(2, data.exit(), data.stderr());
    assertTrue(data.stderr().contains("record 1 at byte " + header + ": data CRC"), data.stderr());
    flipByte(file, header + 20);
    flipByte(file, header); // the scalar record's length
    TfEventsReader.Result length = TfEventsReader.run(dir);
    assertEquals(2, length.exit(), length.stderr());
    assertTrue(length.stderr().contains("length CRC"), length.stderr());
  }

  private static List<Event> summaries(List<Event> events) {
    return events.stream().filter(e -> e.what().equals("summary")).toList();
  }

  private List<String> listing() throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  private static byte[] randomBytes(Random rnd, int n) {
    byte[] b = new byte[n];
    rnd.nextBytes(b);
    return b;
  }

  private static int rgbAt(ImageGrid g, int x, int y) {
    byte[] px = g.pixels();
    int i = (y * g.width() + x) * 3;
    return (px[i] & 0xff) << 16 | (px[i + 1] & 0xff) << 8 | (px[i + 2] & 0xff);
  }

  private static void flipByte(Path file, long at) throws IOException {
    try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
      f.seek(at);
      int b = f.read();
      f.seek(at);
      f.write(b ^ 0x01);
    }
  }
}
