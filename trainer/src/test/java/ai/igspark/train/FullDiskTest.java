package ai.igspark.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.igspark.testsupport.IgsparkProcess;
import ai.igspark.testsupport.Tmpfs;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A full disk for real (docs/RELIABILITY.md "Full disk and preemption"): the run directory is on
 * a small tmpfs mounted for the test ({@code mount -t tmpfs}, which needs root; the tests are
 * skipped where mounting is not allowed), so the local file system's writes fail with ENOSPC and
 * Hadoop throws its {@code FSError}. {@code igspark train} runs as a child JVM.
 */
@Tag("slow")
class FullDiskTest {
  /** A tiny run's checkpoint is about 850 KB (model, EMA, optimizer): one fits here, two not. */
  private static final String ONE_CHECKPOINT = "1300k";

  @TempDir Path dir;
  private Tmpfs disk;

  private Path tmpfs(String size) throws Exception {
    disk = Tmpfs.mount(dir.resolve("disk"), size);
    return disk.path();
  }

  @AfterEach
  void unmount() throws Exception {
    if (disk != null) {
      disk.close();
    }
  }

  @Test
  void aFullDiskIsAnnouncedBeforeTheCheckpointAndReportedInOneLineAfterTheRetries()
      throws Exception {
    String manifest = TinyRun.dataset(dir);
    Path run = tmpfs(ONE_CHECKPOINT).resolve("run");
    Path config = TinyRun.config(dir, "full", run.toString(), manifest, 12, 6, 1);
    IgsparkProcess.Result r =
        IgsparkProcess.run(dir, Duration.ofMinutes(10), "train", "--config", config.toString());
    String out = r.output();
    assertEquals(3, r.code(), out);
    assertTrue(out.contains("igspark: warning: " + run.resolve("checkpoints") + " has "), out);
    assertTrue(out.contains("on the local file system, but the last checkpoint (step-00000006)"
        + " took "), out);
    List<String> stopped =
        out.lines().filter(l -> l.startsWith("igspark: training stopped:")).toList();
    assertEquals(1, stopped.size(), out);
    String line = stopped.get(0);
    assertTrue(line.contains("failed 2 times in a row on a full or failing file system"), line);
    assertTrue(line.contains("No space left on device: cannot write file:" + run), line);
    assertTrue(line.contains("(file system file:///)"), line);
    assertTrue(line.contains("The last committed checkpoint is step 6 in file:" + run), line);
    assertTrue(line.contains("Free space on the file system"), line);
    assertFalse(out.contains("Exception in thread \"main\""), out);
    try (Stream<Path> left = Files.list(run.resolve("checkpoints"))) {
      assertEquals(List.of(), left.filter(p -> p.toString().contains(".attempt-")).toList(),
          "the failed attempts' files are removed");
    }
    assertEquals("step-00000006", Files.readString(run.resolve("checkpoints/LATEST")).trim());
  }

  @Test
  void aDiskFullForTwoSecondsDuringASegmentFailsNoStepAndLosesNoMetricsRecord()
      throws Exception {
    String manifest = TinyRun.dataset(dir);
    Path mounted = tmpfs("8m");
    Path run = mounted.resolve("run");
    // 600 steps in one segment (~5 s here): the 2 s outage ends before its checkpoint is written.
    Path config = TinyRun.config(dir, "blip", run.toString(), manifest, 600, 600, 1);
    Path log = Files.createTempFile(dir, "train", ".log");
    Process p = IgsparkProcess.start(log, "train", "--config", config.toString());
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
    while (trainRecords(run).size() < 5 && p.isAlive() && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    disk.fillFor(2_000);
    assertTrue(p.waitFor(5, TimeUnit.MINUTES), Files.readString(log));
    String out = Files.readString(log);
    assertEquals(0, p.exitValue(), out);
    // The appends did fail (the file's last tmpfs page absorbs a few lines first).
    assertTrue(out.contains("metrics: cannot append to"), out);
    assertFalse(out.contains("retry 1/"), "no segment failed:\n" + out);
    List<Long> steps = trainRecords(run);
    assertEquals(600, steps.size(), "every step's record once: " + steps);
    for (int i = 0; i < 600; i++) {
      assertEquals(i + 1, steps.get(i));
    }
  }

  /** The steps of the train records in the run's metrics as its readers see them, in order. */
  private static List<Long> trainRecords(Path run) {
    try {
      if (!Files.exists(run.resolve("metrics.jsonl"))) {
        return List.of();
      }
      return ai.igspark.ckpt.RunDirectory.open(run.toString(),
              new org.apache.hadoop.conf.Configuration())
          .readMetrics().stream()
          .filter(r -> r.get("kind").asText().equals("train"))
          .map(r -> r.get("step").asLong())
          .toList();
    } catch (IOException e) {
      return List.of();
    }
  }
}
