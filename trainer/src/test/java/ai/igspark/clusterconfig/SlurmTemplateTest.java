package ai.igspark.clusterconfig;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.igspark.ckpt.CheckpointStore;
import ai.igspark.spark.IgsparkSubmitProject;
import ai.igspark.train.TinyRun;
import ai.igspark.train.TrainingState;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * cluster-config/slurm/igspark-train.sbatch, unchanged, submitted with sbatch to a real one-node
 * Slurm ({@link OneNodeSlurm}: munged, slurmctld and slurmd in a network namespace whose only
 * interface is loopback), from an igspark checkout built from this run's classes ({@link
 * BuiltCheckout}) with a SPARK_HOME of the build's Spark jars. The partition has no GPUs, the
 * node's only address is 127.0.0.1, and the jobs ask for no memory, for --mem or for
 * --mem-per-cpu: the template's defaults must cope with each.
 */
@Tag("slow")
class SlurmTemplateTest {
  private static final String TEMPLATE = "cluster-config/slurm/igspark-train.sbatch";
  private static final Duration JOB_TIMEOUT = Duration.ofMinutes(6);
  private static final long STEPS = 24;

  @TempDir static Path dir;
  private static OneNodeSlurm slurm;
  private static Path checkout;
  private static Path sparkHome;
  private static String manifest;

  @BeforeAll
  static void startSlurm() throws Exception {
    // munged wants every directory above its socket searchable by others; @TempDir is 0700.
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    slurm = OneNodeSlurm.start(dir.resolve("slurm"));
    checkout = BuiltCheckout.create(dir.resolve("igspark"));
    sparkHome = IgsparkSubmitProject.sparkHome(dir.resolve("spark"));
    manifest = TinyRun.dataset(dir);
    Files.createDirectories(dir.resolve("tmp"));
  }

  @AfterAll
  static void stopSlurm() {
    if (slurm != null) {
      slurm.close();
    }
  }

  @Test
  void aJobCancelledMidRunResumesWhenResubmittedAndEndsWithTheWeightsOfAnUninterruptedRun()
      throws Exception {
    Path steady = dir.resolve("steady");
    String straight = submit(TinyRun.config(dir, "steady", steady.toString(), manifest, STEPS, 3,
        1));
    assertEnded(straight, "COMPLETED", "0:0");
    long node = physicalMemoryMib(); // no memory asked for: the node's
    assertJobLine(straight, node / 2, Math.min(node / 4, 8192));

    Path run = dir.resolve("cancelled");
    Path config = TinyRun.config(dir, "cancelled", run.toString(), manifest, STEPS, 3, 1);
    String first = submit(config, "--mem=4000");
    long deadline = System.nanoTime() + JOB_TIMEOUT.toNanos();
    long polls = 0;
    while (latest(run) < 3 && System.nanoTime() < deadline) {
      if (++polls % 20 == 0 && slurm.queueState(first).isEmpty()) {
        break; // the job ended before its first checkpoint; the assertion below says how
      }
      Thread.sleep(50);
    }
    slurm.scancel(first);
    assertEnded(first, "CANCELLED", null);
    long cancelledAt = latest(run);
    assertTrue(cancelledAt >= 3 && cancelledAt < STEPS,
        "cancelled at checkpoint " + cancelledAt + ":\n" + output(first));
    assertJobLine(first, 2000, 1000);
    assertNothingLeftRunning(first);

    String second = submit(config, "--mem-per-cpu=2000");
    assertEnded(second, "COMPLETED", "0:0");
    String out = output(second);
    assertTrue(out.contains("resuming, world size 1, " + cancelledAt + "/" + STEPS + " steps done"),
        out);
    assertJobLine(second, Math.min(2000L * slurm.cpus(), node) / 2,
        Math.min(Math.min(2000L * slurm.cpus(), node) / 4, 8192));
    assertEquals(STEPS, latest(run));
    assertArrayEquals(TinyRun.tensorBytes(ema(steady)), TinyRun.tensorBytes(ema(run)),
        "the resumed run's EMA differs from the uninterrupted run's");
  }

  @Test
  void anAllocationWithFewerNodesThanTheWorldSizeStopsBeforeSparkStarts() throws Exception {
    Path run = dir.resolve("two-ranks");
    Path config = TinyRun.config(dir, "two-ranks", run.toString(), manifest, STEPS, 3, 2);
    String job = submit(config);
    assertEnded(job, "FAILED", "2:0");
    String out = output(job);
    assertTrue(out.contains("igspark-slurm: cluster.world_size 2 in " + config + " needs 2 nodes"
        + " (one rank per node), the allocation has 1: submit with --nodes=2"), out);
    assertFalse(Files.exists(checkout.resolve("igspark-slurm-" + job)),
        "the job made its Spark log directory, so it went on to start Spark:\n" + out);
    assertFalse(Files.exists(run), "the run directory exists:\n" + out);
  }

  /** {@code sbatch [options] cluster-config/slurm/igspark-train.sbatch} from the checkout. */
  private static String submit(Path config, String... sbatchOptions) throws Exception {
    List<String> args = new ArrayList<>(List.of(sbatchOptions));
    args.add(TEMPLATE);
    String tmp = dir.resolve("tmp").toString();
    // TMPDIR (the Workers' work directories) and SPARK_LOCAL_DIRS keep the jobs' files in dir.
    return slurm.sbatch(checkout, Map.of("SPARK_HOME", sparkHome.toString(),
        "CONFIG", config.toString(), "TMPDIR", tmp, "SPARK_LOCAL_DIRS", tmp), args);
  }

  private static String output(String job) throws IOException {
    Path out = checkout.resolve("igspark-train-" + job + ".out");
    return Files.exists(out) ? Files.readString(out) : "(no " + out + ")";
  }

  private static void assertEnded(String job, String state, String exitCode) throws Exception {
    OneNodeSlurm.JobEnd end = slurm.awaitEnd(job, JOB_TIMEOUT);
    assertEquals(state, end.state(), () -> "job " + job + ":\n" + outputQuietly(job));
    if (exitCode != null) {
      assertEquals(exitCode, end.exitCode(), () -> "job " + job + ":\n" + outputQuietly(job));
    }
  }

  /** The template's first line: the node's loopback address, its CPUs, no GPUs, the heaps. */
  private static void assertJobLine(String job, long executorMib, long driverMib)
      throws IOException {
    String out = output(job);
    String line = out.lines().filter(l -> l.startsWith("igspark-slurm: job " + job + ","))
        .findFirst().orElse("(none)");
    assertEquals("igspark-slurm: job " + job + ", 1 nodes (" + OneNodeSlurm.NODE + "), master"
        + " spark://127.0.0.1:7077, " + slurm.cpus() + " cores, 0 GPUs and " + executorMib
        + "m per executor, " + driverMib + "m for the driver", line, out);
  }

  /** After the job, the namespace holds only the Slurm daemons: the template stopped its JVMs. */
  private static void assertNothingLeftRunning(String job) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    Set<Long> stray = slurm.strayProcesses();
    while (!stray.isEmpty() && System.nanoTime() < deadline) {
      Thread.sleep(500);
      stray = slurm.strayProcesses();
    }
    String left = stray.stream().map(pid -> pid + " " + ProcessHandle.of(pid)
        .flatMap(p -> p.info().commandLine()).orElse("?")).collect(Collectors.joining("\n"));
    assertTrue(stray.isEmpty(), "left running after job " + job + ":\n" + left);
  }

  private static String outputQuietly(String job) {
    try {
      return output(job);
    } catch (IOException e) {
      return e.toString();
    }
  }

  /** The step LATEST names, -1 while there is none. */
  private static long latest(Path run) {
    try {
      Path f = run.resolve("checkpoints/LATEST");
      return Files.exists(f) ? Long.parseLong(Files.readString(f).replaceAll("\\D", "")) : -1;
    } catch (IOException | NumberFormatException e) {
      return -1;
    }
  }

  private static Path ema(Path run) {
    return run.resolve("checkpoints").resolve(CheckpointStore.stepName(STEPS))
        .resolve(TrainingState.EMA_FILE);
  }

  /** MemTotal in MiB, as the template reads it. */
  private static long physicalMemoryMib() throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
      if (line.startsWith("MemTotal:")) {
        return Long.parseLong(line.replaceAll("\\D", "")) / 1024;
      }
    }
    throw new IllegalStateException("no MemTotal in /proc/meminfo");
  }
}
