package ai.igspark.train;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.spark.TaskContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Test fault injection for docs/RELIABILITY.md. A test switches a fault on with a Spark local
 * property on the thread that runs the driver ({@code sc.setLocalProperty}), which travels with
 * each job to every executor JVM; a system property of the rank's JVM works too. Nothing sets
 * them in production; each costs one property lookup per segment, step or checkpoint. The keys
 * are {@code igspark.test.fault.*} so nobody mistakes them for configuration.
 */
final class FaultInjection {
  private static final Logger LOG = LoggerFactory.getLogger(FaultInjection.class);

  /** Milliseconds rank 0 waits before writing its checkpoint files (a slow file system). */
  static final String CHECKPOINT_DELAY_MS = "igspark.test.fault.checkpoint_delay_ms";
  /**
   * {@code RANK:STEP:MILLIS:MARKER}: that rank stops (a hung peer) before the all-reduce of that
   * step, for MILLIS or until Spark kills its task. Once per run: the rank that creates the file
   * MARKER stalls and writes the epoch millis it began into it.
   */
  static final String STALL = "igspark.test.fault.stall";
  /** A rank number: that rank fails at the start of every segment (a persistent fault). */
  static final String FAIL_RANK = "igspark.test.fault.fail_rank";

  private FaultInjection() {}

  private static String get(String key) {
    TaskContext task = TaskContext.get();
    String value = task != null ? task.getLocalProperty(key) : null;
    return value != null ? value : System.getProperty(key);
  }

  static void beforeCheckpoint(int rank) throws InterruptedException {
    String delay = get(CHECKPOINT_DELAY_MS);
    if (delay != null && rank == 0) {
      LOG.warn("test fault injection: rank 0 delays its checkpoint write by {} ms", delay);
      Thread.sleep(Long.parseLong(delay));
    }
  }

  static void atSegmentStart(int rank) throws IOException {
    String failing = get(FAIL_RANK);
    if (failing != null && Integer.parseInt(failing) == rank) {
      throw new IOException("test fault injection: rank " + rank + " fails (" + FAIL_RANK + ")");
    }
  }

  static void beforeAllReduce(int rank, long step) throws InterruptedException, IOException {
    String spec = get(STALL);
    if (spec == null) {
      return;
    }
    String[] p = spec.split(":", 4);
    if (Integer.parseInt(p[0]) != rank || Long.parseLong(p[1]) != step) {
      return;
    }
    long start = System.currentTimeMillis();
    try {
      Files.writeString(Files.createFile(Path.of(p[3])), Long.toString(start),
          StandardCharsets.US_ASCII);
    } catch (FileAlreadyExistsException e) {
      return; // stalled once already: the retry runs normally
    }
    LOG.warn("test fault injection: rank {} stalls at step {} for {} ms", rank, step, p[2]);
    long until = System.nanoTime() + Long.parseLong(p[2]) * 1_000_000;
    TaskContext task = TaskContext.get();
    while (System.nanoTime() < until && (task == null || !task.isInterrupted())) {
      Thread.sleep(20);
    }
  }
}
