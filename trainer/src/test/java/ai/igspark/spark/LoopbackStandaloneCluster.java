package ai.igspark.spark;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * JUnit 5 extension: a real Spark standalone cluster (Master + N Workers, separate JVMs, all on
 * 127.0.0.1) started with cluster-config/standalone/start-loopback-cluster.sh before the class
 * and stopped with stop-loopback-cluster.sh after it. Register it as a static field with
 * {@code @RegisterExtension}; tests using it are {@code @Tag("slow")}.
 *
 * <p>Executors need the test's classes (igspark's, the tests' lambdas, DJL): {@link
 * #executorClassPath()} is this JVM's class path minus what the cluster's SPARK_HOME/jars already
 * has, for {@code spark.executor.extraClassPath}. That works because the executors run on this
 * machine; a real cluster gets igspark's jars through bin/igspark-submit instead.
 */
public final class LoopbackStandaloneCluster implements BeforeAllCallback, AfterAllCallback {
  private static final Duration START_TIMEOUT = Duration.ofMinutes(5);

  private int workers;
  private final String workerMemory;
  private final int workerCores;
  private final int workerGpus;
  private final Path projectDir;
  private Path dir;
  private String masterUrl;
  private String webUiUrl;
  private Path sparkHome;
  private long startMillis;
  private Thread stopOnExit;

  private LoopbackStandaloneCluster(int workers, String workerMemory, int workerCores,
      int workerGpus) {
    this.workers = workers;
    this.workerMemory = workerMemory;
    this.workerCores = workerCores;
    this.workerGpus = workerGpus;
    this.projectDir = Path.of(System.getProperty("igspark.project.dir", "..")).toAbsolutePath()
        .normalize();
  }

  /** A cluster of {@code workers} Workers with 1 core and {@code workerMemory} each. */
  public static LoopbackStandaloneCluster withWorkers(int workers, String workerMemory) {
    return new LoopbackStandaloneCluster(workers, workerMemory, 1, 0);
  }

  /**
   * Workers of {@code cores} cores and {@code gpus} declared GPUs each (addresses 0..gpus-1, for
   * Spark's scheduling only: nothing checks that they exist).
   */
  public static LoopbackStandaloneCluster withGpuWorkers(
      int workers, String workerMemory, int cores, int gpus) {
    return new LoopbackStandaloneCluster(workers, workerMemory, cores, gpus);
  }

  public String masterUrl() {
    return masterUrl;
  }

  /** The cluster's directory: logs/, pids/, work/worker-N/ (executor work dirs and logs). */
  public Path dir() {
    return dir;
  }

  public Path sparkHome() {
    return sparkHome;
  }

  /** Wall time of the start script plus the wait for every Worker to be ALIVE. */
  public long startMillis() {
    return startMillis;
  }

  /** This JVM's class path without the jars SPARK_HOME/jars already holds (by file name). */
  public String executorClassPath() throws IOException {
    Set<String> provided;
    try (Stream<Path> jars = Files.list(sparkHome.resolve("jars"))) {
      provided = jars.map(p -> p.getFileName().toString()).collect(Collectors.toSet());
    }
    List<String> entries = new ArrayList<>();
    for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
      String name = Path.of(entry).getFileName().toString();
      if (!provided.contains(name) && !name.startsWith("hadoop-client-minicluster")
          && !name.startsWith("surefire")) {
        entries.add(entry);
      }
    }
    return String.join(File.pathSeparator, entries);
  }

  @Override
  public void beforeAll(ExtensionContext context) throws Exception {
    dir = projectDir.resolve("trainer/target/loopback-cluster")
        .resolve(context.getRequiredTestClass().getSimpleName() + "-" + System.currentTimeMillis());
    Files.createDirectories(dir);
    // If the test JVM dies before afterAll, still stop the daemons this class started.
    stopOnExit = new Thread(this::stopQuietly, "stop-loopback-cluster");
    Runtime.getRuntime().addShutdownHook(stopOnExit);
    long start = System.nanoTime();
    runScript("start-loopback-cluster.sh", "--dir", dir.toString(), "--workers",
        Integer.toString(workers), "--worker-memory", workerMemory, "--worker-cores",
        Integer.toString(workerCores), "--worker-gpus", Integer.toString(workerGpus));
    // The file, not the script's stdout: anything else printed there (Maven's ANSI resets, once)
    // would corrupt the first key and leave the tests on a silent local[1] master.
    Properties cluster = new Properties();
    try (var in = Files.newBufferedReader(dir.resolve("cluster.env"))) {
      cluster.load(in);
    }
    masterUrl = cluster.getProperty("MASTER_URL");
    if (masterUrl == null || !masterUrl.startsWith("spark://")) {
      throw new IllegalStateException(
          dir.resolve("cluster.env") + ": expected MASTER_URL=spark://host:port, got " + masterUrl);
    }
    webUiUrl = cluster.getProperty("MASTER_WEBUI_URL");
    sparkHome = Path.of(cluster.getProperty("SPARK_HOME"));
    awaitAliveWorkers();
    startMillis = (System.nanoTime() - start) / 1_000_000;
  }

  @Override
  public void afterAll(ExtensionContext context) throws Exception {
    if (stopOnExit != null) {
      Runtime.getRuntime().removeShutdownHook(stopOnExit);
    }
    if (dir != null) {
      runScript("stop-loopback-cluster.sh", "--dir", dir.toString());
    }
  }

  /**
   * Starts one more Worker with this cluster's worker cores, memory and declared GPUs (a node
   * coming back) and waits until the Master lists it ALIVE; the stop at the end stops it with
   * the others.
   */
  public void addWorker() throws IOException, InterruptedException {
    runScript("start-loopback-cluster.sh", "--dir", dir.toString(), "--add-worker",
        "--worker-memory", workerMemory, "--worker-cores", Integer.toString(workerCores),
        "--worker-gpus", Integer.toString(workerGpus));
    workers++;
    awaitAliveWorkers();
  }

  /**
   * Waits up to {@code timeout} until {@code sc}'s executors offer {@code slots} task slots, then
   * asserts that they do, naming the executors otherwise.
   */
  public static void awaitSlots(
      org.apache.spark.api.java.JavaSparkContext sc, int slots, Duration timeout)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (SegmentJob.availableSlots(sc) < slots && System.nanoTime() < deadline) {
      Thread.sleep(200);
    }
    org.junit.jupiter.api.Assertions.assertEquals(slots, SegmentJob.availableSlots(sc),
        "executors did not register with " + sc.master() + ": "
            + sc.sc().getExecutorMemoryStatus());
  }

  private void stopQuietly() {
    try {
      runScript("stop-loopback-cluster.sh", "--dir", dir.toString());
    } catch (IOException | InterruptedException | RuntimeException e) {
      System.err.println("could not stop the loopback cluster in " + dir + ": " + e);
    }
  }

  /** Polls the Master's JSON UI until it lists every Worker as ALIVE. */
  private void awaitAliveWorkers() throws IOException, InterruptedException {
    HttpClient http = HttpClient.newBuilder().proxy(HttpClient.Builder.NO_PROXY)
        .connectTimeout(Duration.ofSeconds(5)).build();
    HttpRequest request = HttpRequest.newBuilder(URI.create(webUiUrl + "/json/"))
        .timeout(Duration.ofSeconds(5)).build();
    long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
    int alive = 0;
    while (System.nanoTime() < deadline) {
      JsonNode state;
      try {
        state = new ObjectMapper().readTree(
            http.send(request, HttpResponse.BodyHandlers.ofString()).body());
      } catch (java.net.http.HttpTimeoutException e) {
        continue; // a loaded machine: the Master answers late, ask again until the deadline
      }
      alive = 0;
      for (JsonNode worker : state.path("workers")) {
        alive += "ALIVE".equals(worker.path("state").asText()) ? 1 : 0;
      }
      if (alive >= workers) {
        return;
      }
      Thread.sleep(250);
    }
    throw new IllegalStateException(
        "only " + alive + " of " + workers + " Workers became ALIVE at " + webUiUrl);
  }

  /** Runs a cluster-config/standalone script; returns its stdout, fails with its output. */
  private String runScript(String script, String... args)
      throws IOException, InterruptedException {
    List<String> command = new ArrayList<>();
    command.add(projectDir.resolve("cluster-config/standalone").resolve(script).toString());
    command.addAll(List.of(args));
    Path out = dir.resolve(script + ".out");
    Path err = dir.resolve(script + ".err");
    Process process = new ProcessBuilder(command)
        .redirectOutput(out.toFile())
        .redirectError(err.toFile())
        .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
        .start();
    if (!process.waitFor(START_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
      process.destroy();
      throw new IllegalStateException(script + " did not finish within " + START_TIMEOUT);
    }
    if (process.exitValue() != 0) {
      throw new IllegalStateException(script + " failed (exit " + process.exitValue() + "):\n"
          + Files.readString(err));
    }
    try {
      return Files.readString(out);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
