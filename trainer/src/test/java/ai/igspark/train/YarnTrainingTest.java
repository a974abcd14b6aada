package ai.igspark.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.igspark.ckpt.CheckpointStore;
import ai.igspark.config.RunConfig;
import ai.igspark.spark.ListeningSockets;
import ai.igspark.spark.LoopbackYarnCluster;
import ai.igspark.spark.SegmentJob;
import ai.igspark.spark.SparkContexts;
import ai.igspark.testsupport.CommandLines;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.yarn.api.records.ContainerId;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code train} with {@code --master yarn} on a real YARN (MiniYARNCluster, 2 NodeManagers) with
 * its data and checkpoints on HDFS (MiniDFSCluster), all on 127.0.0.1: the driver runs in this JVM
 * (client mode), the ApplicationMaster and the 2 executors (one rank each, gradients over the TCP
 * ring) in YARN containers. One executor's container is killed through YARN mid-run; the run ends
 * with the weights of an uninterrupted run, bitwise.
 */
@Tag("slow")
class YarnTrainingTest {
  @RegisterExtension
  static final LoopbackYarnCluster CLUSTER = LoopbackYarnCluster.withNodeManagers(2, 3072);

  private static JavaSparkContext sc;
  private static FileSystem hdfs;
  private static String manifest;
  @TempDir static Path dir;

  @BeforeAll
  static void startSpark() throws Exception {
    SparkContexts.Builder builder = SparkContexts.builder()
        .master("yarn")
        .appName("yarn-training-test")
        .worldSize(2)
        .executorMemory("640m")
        .uiEnabled(false);
    CLUSTER.sparkProperties().forEach(builder::set);
    sc = builder.start();
    long deadline = System.nanoTime() + 180_000_000_000L;
    while (SegmentJob.availableSlots(sc) < 2 && System.nanoTime() < deadline) {
      Thread.sleep(200);
    }
    assertEquals(2, SegmentJob.availableSlots(sc), "executors did not register with YARN's "
        + sc.sc().applicationId() + ": " + sc.sc().getExecutorMemoryStatus());

    hdfs = FileSystem.get(URI.create(CLUSTER.hdfs().uri("/")), CLUSTER.hdfs().conf());
    TinyRun.dataset(dir);
    hdfs.copyFromLocalFile(new org.apache.hadoop.fs.Path(dir.resolve("tiny-data").toString()),
        new org.apache.hadoop.fs.Path("/data/tiny-data"));
    manifest = CLUSTER.hdfs().uri("/data/tiny-data/dataset.json");
  }

  @AfterAll
  static void stopSpark() {
    if (sc != null) {
      sc.close();
    }
  }

  private static TrainDriver.Outcome train(Path config) throws Exception {
    RunConfig cfg = RunConfig.load(config);
    return new TrainDriver(cfg, config.toString(), Set.of(),
        new PrintStream(new ByteArrayOutputStream())).run(sc, false);
  }

  private static Path config(String name, long steps, long every) throws Exception {
    return TinyRun.withCluster(
        TinyRun.config(dir, name, CLUSTER.hdfs().uri("/runs/" + name), manifest, steps, every, 2),
        "{world_size: 2, max_retries: 3, backoff_seconds: 1}");
  }

  private static long latest(String run) {
    try {
      org.apache.hadoop.fs.Path f = new org.apache.hadoop.fs.Path("/runs/" + run
          + "/checkpoints/LATEST");
      if (!hdfs.exists(f)) {
        return -1;
      }
      try (var in = hdfs.open(f)) {
        return Long.parseLong(new String(in.readAllBytes()).replaceAll("\\D", ""));
      }
    } catch (Exception e) {
      return -1; // being replaced
    }
  }

  private static byte[] ema(String run, long step) throws Exception {
    Path copy = dir.resolve(run + "-" + step + ".safetensors");
    hdfs.copyToLocalFile(new org.apache.hadoop.fs.Path("/runs/" + run + "/checkpoints/"
        + CheckpointStore.stepName(step) + "/" + TrainingState.EMA_FILE),
        new org.apache.hadoop.fs.Path(copy.toString()));
    return TinyRun.tensorBytes(copy);
  }

  @Test
  void driverDaemonsAndContainersListenOnLoopbackOnly() throws Exception {
    List<ProcessHandle> containers = LoopbackYarnCluster.containerJvms(sc.sc().applicationId());
    assertTrue(containers.size() >= 3, "ApplicationMaster and 2 executors: " + containers);
    List<ProcessHandle> processes = new ArrayList<>(containers);
    processes.add(ProcessHandle.current()); // driver, ResourceManager, NodeManagers, HDFS
    for (ProcessHandle p : processes) {
      String command = CommandLines.of(p).orElse("");
      List<InetSocketAddress> listening = ListeningSockets.of(p.pid());
      // An executor that replaces a killed one may still be starting: give it time to listen.
      long deadline = System.nanoTime() + 60_000_000_000L;
      while (listening.isEmpty() && p.isAlive() && !command.contains("ExecutorLauncher")
          && System.nanoTime() < deadline) {
        Thread.sleep(500);
        listening = ListeningSockets.of(p.pid());
      }
      if (!p.isAlive()) {
        continue; // gone meanwhile (a container of an earlier, killed executor)
      }
      // in client mode the ApplicationMaster only connects, to the driver and the RM
      assertTrue(!listening.isEmpty() || command.contains("ExecutorLauncher"),
          "no listening socket found for " + p.pid() + " " + command);
      for (InetSocketAddress a : listening) {
        assertTrue(a.getAddress().isLoopbackAddress(), p.pid() + " " + command + " listens on "
            + a);
      }
    }
  }

  @Test
  void executorContainerKilledThroughYarnIsReplacedAndTheRunEndsWithTheWeightsOfAnUninterruptedRun()
      throws Exception {
    long steps = 16;
    long every = 4;
    long t0 = System.nanoTime();
    TrainDriver.Outcome steady = train(config("steady", steps, every));
    double steadySeconds = (System.nanoTime() - t0) / 1e9;
    assertEquals(0, steady.retries());

    long t1 = System.nanoTime();
    CompletableFuture<TrainDriver.Outcome> run = CompletableFuture.supplyAsync(() -> {
      try {
        return train(config("killed", steps, every));
      } catch (Exception e) {
        throw new RuntimeException(e);
      }
    });
    while (latest("killed") < every && !run.isDone()) {
      Thread.sleep(50);
    }
    List<ContainerId> executors = CLUSTER.executorContainers(sc.sc().applicationId());
    assertEquals(2, executors.size(), "executor containers " + executors);
    ContainerId victim = executors.get(0);
    CLUSTER.kill(victim, Duration.ofSeconds(60));
    System.out.printf("RELIABILITY yarn: killed container %s after checkpoint %d%n", victim,
        latest("killed"));

    TrainDriver.Outcome killed = run.get(20, TimeUnit.MINUTES);
    System.out.printf("RELIABILITY yarn: %d steps uninterrupted %.1f s, with the kill %.1f s"
        + " (%d retries)%n", steps, steadySeconds, (System.nanoTime() - t1) / 1e9,
        killed.retries());
    assertEquals(steps, killed.step());
    assertTrue(killed.retries() >= 1, "retries " + killed.retries());
    List<ContainerId> after = CLUSTER.executorContainers(sc.sc().applicationId());
    assertEquals(2, after.size(), "a replacement container runs: " + after);
    assertFalse(after.contains(victim), after + " still lists " + victim);
    assertArrayEquals(ema("steady", steps), ema("killed", steps));
  }
}
