package ai.igspark.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.igspark.ckpt.CheckpointStore;
import ai.igspark.testsupport.IgsparkProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The driver JVM ({@code igspark train} in local mode, a child process) is killed with SIGKILL
 * after its first committed checkpoint; the same command started again resumes from LATEST and
 * ends with the weights of an uninterrupted run. The uninterrupted run is a child process too:
 * compared with one inside the test JVM, the last bits differed (docs/RELIABILITY.md).
 */
@Tag("slow")
class DriverKillTest {
  @TempDir Path dir;

  /** {@code igspark train --config CONFIG} as a child JVM, its output appended to {@code log}. */
  private static Process igsparkTrain(Path config, Path log) throws Exception {
    return IgsparkProcess.start(log, "train", "--config", config.toString());
  }

  private static long latest(Path run) {
    try {
      Path f = run.resolve("checkpoints/LATEST");
      return Files.exists(f) ? Long.parseLong(Files.readString(f).replaceAll("\\D", "")) : -1;
    } catch (Exception e) {
      return -1;
    }
  }

  private static Path ema(Path run, long step) {
    return run.resolve("checkpoints").resolve(CheckpointStore.stepName(step))
        .resolve(TrainingState.EMA_FILE);
  }

  @Test
  void killedDriverResumesFromLatestWithTheWeightsOfAnUninterruptedRun() throws Exception {
    String manifest = TinyRun.dataset(dir);
    Path steady = dir.resolve("steady");
    Process straight = igsparkTrain(
        TinyRun.config(dir, "steady", steady.toString(), manifest, 24, 3, 1),
        dir.resolve("steady.log"));
    assertTrue(straight.waitFor(10, TimeUnit.MINUTES));
    assertEquals(0, straight.exitValue(), Files.readString(dir.resolve("steady.log")));

    Path run = dir.resolve("killed");
    Path config = TinyRun.config(dir, "killed", run.toString(), manifest, 24, 3, 1);
    Path log = dir.resolve("train.log");
    Process first = igsparkTrain(config, log);
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
    while (latest(run) < 3 && first.isAlive() && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    first.destroyForcibly(); // SIGKILL
    first.waitFor(30, TimeUnit.SECONDS);
    long killedAt = latest(run);
    System.out.printf("RELIABILITY driver kill: killed after checkpoint %d of 24%n", killedAt);
    assertTrue(killedAt >= 3 && killedAt < 24, "killed at " + killedAt + ":\n"
        + Files.readString(log));

    long t0 = System.nanoTime();
    Process second = igsparkTrain(config, log);
    assertTrue(second.waitFor(10, TimeUnit.MINUTES));
    String out = Files.readString(log);
    assertEquals(0, second.exitValue(), out);
    assertTrue(out.contains("resuming"), out);
    // The killed driver's lock: its process is gone from this host, so it is taken over at once.
    assertTrue(out.contains("took over the stale run lock") && out.contains("pid " + first.pid()
        + ") is no longer running on this host"), out);
    System.out.printf("RELIABILITY driver kill: the restarted command finished in %.1f s%n",
        (System.nanoTime() - t0) / 1e9);
    assertArrayEquals(TinyRun.tensorBytes(ema(steady, 24)), TinyRun.tensorBytes(ema(run, 24)),
        () -> firstDifference(steady, run));
  }

  private static String firstDifference(Path a, Path b) {
    try {
      var conf = new org.apache.hadoop.conf.Configuration();
      var ra = ai.igspark.ckpt.RunDirectory.open(a.toString(), conf).readMetrics();
      var rb = ai.igspark.ckpt.RunDirectory.open(b.toString(), conf).readMetrics();
      var ta = ra.stream().filter(r -> r.get("kind").asText().equals("train")).toList();
      var tb = rb.stream().filter(r -> r.get("kind").asText().equals("train")).toList();
      for (int i = 0; i < Math.min(ta.size(), tb.size()); i++) {
        if (ta.get(i).get("loss").asDouble() != tb.get(i).get("loss").asDouble()) {
          return "first loss difference: " + ta.get(i) + " vs " + tb.get(i);
        }
      }
      return "losses equal; " + tb;
    } catch (Exception e) {
      return e.toString();
    }
  }
}
