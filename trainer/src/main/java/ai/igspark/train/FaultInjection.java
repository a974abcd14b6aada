package ai.igspark.train;

import java.io.IOException;
import org.apache.spark.TaskContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Test fault injection for docs/RELIABILITY.md: faults a test switches on with system properties
 * of the rank's JVM. None is set in production, and each costs one property lookup per segment
 * or step. The properties are named {@code igspark.test.fault.*} so nobody mistakes them for
 * configuration.
 */
final class FaultInjection {
  private static final Logger LOG = LoggerFactory.getLogger(FaultInjection.class);

  /** Milliseconds rank 0 waits before writing its checkpoint files (a slow file system). */
  static final String CHECKPOINT_DELAY_MS = "igspark.test.fault.checkpoint_delay_ms";
  /**
   * {@code RANK:STEP:MILLIS}: that rank stops (a hung peer) before the all-reduce of that step,
   * once per JVM; it wakes up early only when Spark kills its task.
   */
  static final String STALL = "igspark.test.fault.stall";
  /** A rank number: that rank fails at the start of every segment (a persistent fault). */
  static final String FAIL_RANK = "igspark.test.fault.fail_rank";

  private static volatile boolean stalled;
  private static volatile long stallStartMillis = -1;

  private FaultInjection() {}

  static void beforeCheckpoint(int rank) throws InterruptedException {
    String delay = System.getProperty(CHECKPOINT_DELAY_MS);
    if (delay != null && rank == 0) {
      LOG.warn("test fault injection: rank 0 delays its checkpoint write by {} ms", delay);
      Thread.sleep(Long.parseLong(delay));
    }
  }

  static void atSegmentStart(int rank) throws IOException {
    String failing = System.getProperty(FAIL_RANK);
    if (failing != null && Integer.parseInt(failing) == rank) {
      throw new IOException("test fault injection: rank " + rank + " fails (" + FAIL_RANK + ")");
    }
  }

  static void beforeAllReduce(int rank, long step) throws InterruptedException {
    String spec = System.getProperty(STALL);
    if (spec == null || stalled) {
      return;
    }
    String[] p = spec.split(":");
    if (Integer.parseInt(p[0]) != rank || Long.parseLong(p[1]) != step) {
      return;
    }
    stalled = true;
    stallStartMillis = System.currentTimeMillis();
    LOG.warn("test fault injection: rank {} stalls at step {} for {} ms", rank, step, p[2]);
    long until = System.nanoTime() + Long.parseLong(p[2]) * 1_000_000;
    TaskContext task = TaskContext.get();
    while (System.nanoTime() < until && (task == null || !task.isInterrupted())) {
      Thread.sleep(20);
    }
  }

  /** When the injected stall began (epoch ms), or −1; for tests in the same JVM. */
  static long stallStartMillis() {
    return stallStartMillis;
  }

  /** Re-arms the one-shot stall (tests). */
  static void reset() {
    stalled = false;
    stallStartMillis = -1;
  }
}
