package ai.igspark.spark;

import ai.igspark.testsupport.CommandLines;
import ai.igspark.testsupport.MiniHdfs;
import java.io.File;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.hadoop.yarn.api.records.ApplicationAttemptReport;
import org.apache.hadoop.yarn.api.records.ApplicationId;
import org.apache.hadoop.yarn.api.records.ContainerId;
import org.apache.hadoop.yarn.api.records.ContainerReport;
import org.apache.hadoop.yarn.api.records.ContainerState;
import org.apache.hadoop.yarn.api.records.NodeReport;
import org.apache.hadoop.yarn.api.records.NodeState;
import org.apache.hadoop.yarn.api.records.SignalContainerCommand;
import org.apache.hadoop.yarn.client.api.YarnClient;
import org.apache.hadoop.yarn.conf.YarnConfiguration;
import org.apache.hadoop.yarn.exceptions.ContainerNotFoundException;
import org.apache.hadoop.yarn.server.MiniYARNCluster;
import org.apache.hadoop.yarn.server.resourcemanager.ResourceManager;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * JUnit 5 extension: a real YARN (MiniYARNCluster: a ResourceManager and N NodeManagers in this
 * JVM, containers as separate JVMs started by the NodeManagers) and an HDFS (MiniDFSCluster), every
 * daemon bound to 127.0.0.1, started before the class and stopped after it. Register it as a
 * static field with {@code @RegisterExtension}; tests using it are {@code @Tag("slow")}.
 *
 * <p>{@link #sparkProperties()} is what a driver in this JVM (client mode) needs for {@code
 * --master yarn}: the ResourceManager's addresses, the staging directory on HDFS, and the class
 * path of the containers as {@code local:} paths of this JVM's jars and class directories (no
 * upload: the NodeManagers run on this machine; a real cluster gets igspark's jars through
 * bin/igspark-submit instead).
 */
public final class LoopbackYarnCluster implements BeforeAllCallback, AfterAllCallback {
  private static final String LOOPBACK = "127.0.0.1";
  private static final Duration START_TIMEOUT = Duration.ofMinutes(2);

  private final int nodeManagers;
  private final int nodeMemoryMb;
  private MiniHdfs hdfs;
  private MiniYARNCluster yarn;
  private YarnClient client;
  private Thread stopOnExit;

  private LoopbackYarnCluster(int nodeManagers, int nodeMemoryMb) {
    this.nodeManagers = nodeManagers;
    this.nodeMemoryMb = nodeMemoryMb;
  }

  /** {@code nodeManagers} NodeManagers offering {@code nodeMemoryMb} MB of containers each. */
  public static LoopbackYarnCluster withNodeManagers(int nodeManagers, int nodeMemoryMb) {
    return new LoopbackYarnCluster(nodeManagers, nodeMemoryMb);
  }

  public MiniHdfs hdfs() {
    return hdfs;
  }

  @Override
  public void beforeAll(ExtensionContext context) throws Exception {
    stopOnExit = new Thread(this::stop, "stop-loopback-yarn");
    Runtime.getRuntime().addShutdownHook(stopOnExit);
    String name = context.getRequiredTestClass().getSimpleName();
    hdfs = MiniHdfs.named(name).withHdfsTimeouts().start();
    yarn = new MiniYARNCluster(name, nodeManagers, 1, 1);
    yarn.init(loopbackConf());
    yarn.start();
    client = YarnClient.createYarnClient();
    client.init(yarn.getConfig());
    client.start();
    awaitRunningNodes();
  }

  @Override
  public void afterAll(ExtensionContext context) {
    if (stopOnExit != null) {
      Runtime.getRuntime().removeShutdownHook(stopOnExit);
    }
    stop();
  }

  /** Every address of the ResourceManager and the NodeManagers on loopback, ports ephemeral. */
  private YarnConfiguration loopbackConf() {
    YarnConfiguration conf = new YarnConfiguration();
    conf.set(YarnConfiguration.RM_HOSTNAME, LOOPBACK);
    conf.set(YarnConfiguration.RM_BIND_HOST, LOOPBACK);
    conf.set(YarnConfiguration.NM_PREFIX + "hostname", LOOPBACK); // yarn-default.xml, no constant
    conf.set(YarnConfiguration.NM_BIND_HOST, LOOPBACK);
    for (String key : List.of(YarnConfiguration.RM_WEBAPP_ADDRESS,
        YarnConfiguration.RM_WEBAPP_HTTPS_ADDRESS, YarnConfiguration.NM_WEBAPP_ADDRESS,
        YarnConfiguration.NM_WEBAPP_HTTPS_ADDRESS, YarnConfiguration.NM_LOCALIZER_ADDRESS,
        YarnConfiguration.NM_COLLECTOR_SERVICE_ADDRESS)) {
      conf.set(key, LOOPBACK + ":0");
    }
    conf.setInt("yarn.minicluster." + YarnConfiguration.NM_PMEM_MB, nodeMemoryMb);
    conf.setInt(YarnConfiguration.RM_SCHEDULER_MINIMUM_ALLOCATION_MB, 128);
    // YARN's default scheduler with one queue (no capacity-scheduler.xml on this class path); the
    // ApplicationMaster's container is a large share of a small cluster (default limit 10 %).
    conf.set("yarn.scheduler.capacity.root.queues", "default");
    conf.set("yarn.scheduler.capacity.root.default.capacity", "100");
    conf.setFloat("yarn.scheduler.capacity.maximum-am-resource-percent", 0.5f);
    conf.setBoolean(YarnConfiguration.NM_VMEM_CHECK_ENABLED, false);
    // Heartbeats every 100 ms: new and lost containers are seen within a second.
    conf.setInt(YarnConfiguration.RM_NM_HEARTBEAT_INTERVAL_MS, 100);
    return conf;
  }

  private void awaitRunningNodes() throws Exception {
    long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
    List<NodeReport> running = List.of();
    while (System.nanoTime() < deadline) {
      running = client.getNodeReports(NodeState.RUNNING);
      if (running.size() >= nodeManagers && !rmAddress().endsWith(":0")) {
        return;
      }
      Thread.sleep(200);
    }
    throw new IllegalStateException(
        "only " + running.size() + " of " + nodeManagers + " NodeManagers are RUNNING");
  }

  private String rmAddress() {
    return yarn.getConfig().get(YarnConfiguration.RM_ADDRESS);
  }

  /**
   * Spark properties for a driver in this JVM with {@code --master yarn}: the ResourceManager's
   * addresses (as {@code spark.hadoop.*}; Spark ships them to the ApplicationMaster), the
   * staging directory on HDFS, the containers' class path and environment.
   */
  public Map<String, String> sparkProperties() {
    Map<String, String> props = new LinkedHashMap<>();
    for (Map.Entry<String, String> e : yarn.getConfig()) {
      if (e.getKey().startsWith("yarn.resourcemanager.") && e.getKey().endsWith(".address")) {
        props.put("spark.hadoop." + e.getKey(), yarn.getConfig().get(e.getKey()));
      }
    }
    props.put("spark.yarn.stagingDir", hdfs.uri("/user/spark-staging"));
    List<String> jars = new ArrayList<>();
    List<String> classDirectories = new ArrayList<>();
    for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
      String file = Path.of(entry).getFileName().toString();
      if (file.startsWith("hadoop-client-minicluster") || file.startsWith("surefire")) {
        continue; // YARN's and HDFS's servers, Maven's test runner: not the application's
      }
      if (file.endsWith(".jar")) {
        jars.add("local:" + Path.of(entry).toAbsolutePath());
      } else {
        classDirectories.add(Path.of(entry).toAbsolutePath().toString());
      }
    }
    props.put("spark.yarn.jars", String.join(",", jars));
    String classes = String.join(File.pathSeparator, classDirectories);
    props.put("spark.executor.extraClassPath", classes);
    props.put("spark.yarn.am.extraClassPath", classes);
    String javaHome = System.getProperty("java.home");
    for (String prefix : List.of("spark.executorEnv.", "spark.yarn.appMasterEnv.")) {
      props.put(prefix + "JAVA_HOME", javaHome); // the NodeManagers' environment has none
      props.put(prefix + "SPARK_LOCAL_IP", LOOPBACK);
    }
    props.put("spark.yarn.am.memory", "384m");
    return props;
  }

  /** The application's running containers other than its ApplicationMaster's. */
  public List<ContainerId> executorContainers(String applicationId) throws Exception {
    ApplicationId app = ApplicationId.fromString(applicationId);
    List<ContainerId> out = new ArrayList<>();
    for (ApplicationAttemptReport attempt : client.getApplicationAttempts(app)) {
      for (ContainerReport c : client.getContainers(attempt.getApplicationAttemptId())) {
        if (c.getContainerState() == ContainerState.RUNNING
            && !c.getContainerId().equals(attempt.getAMContainerId())) {
          out.add(c.getContainerId());
        }
      }
    }
    return out;
  }

  /**
   * The JVMs of the application's containers, ApplicationMaster ({@code ExecutorLauncher} in
   * client mode) and executors: the processes running those Spark classes whose command line
   * names the application, as YARN's launch script passes it to each.
   */
  public static List<ProcessHandle> containerJvms(String applicationId) {
    return ProcessHandle.allProcesses()
        .filter(p -> p.info().command().map(c -> c.endsWith("/java")).orElse(false)) // not bash -c
        .filter(p -> CommandLines.of(p).map(c -> c.contains(applicationId)
            && (c.contains("org.apache.spark.executor.YarnCoarseGrainedExecutorBackend")
                || c.contains("org.apache.spark.deploy.yarn.ExecutorLauncher"))).orElse(false))
        .toList();
  }

  /**
   * Kills a container through YARN (its NodeManager SIGKILLs the container's process group) and
   * waits until the ResourceManager no longer lists it as running.
   */
  public void kill(ContainerId container, Duration timeout) throws Exception {
    client.signalToContainer(container, SignalContainerCommand.FORCEFUL_SHUTDOWN);
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      try {
        if (client.getContainerReport(container).getContainerState() == ContainerState.COMPLETE) {
          return;
        }
      } catch (ContainerNotFoundException e) {
        return; // completed and already forgotten (this RM keeps no history)
      }
      Thread.sleep(100);
    }
    throw new IllegalStateException(container + " still running " + timeout + " after the kill");
  }

  private synchronized void stop() {
    if (client != null) {
      client.stop();
      client = null;
    }
    if (yarn != null) {
      yarn.stop();
      yarn = null;
      destroyLeftoverContainers();
    }
    if (hdfs != null) {
      hdfs.close();
      hdfs = null;
    }
  }

  /**
   * A container JVM still alive after its NodeManager stopped (it had no time to kill it): its
   * command line names this ResourceManager's applications ({@code application_<start time>_}),
   * which identifies it as ours.
   */
  private static void destroyLeftoverContainers() {
    String ours = "application_" + ResourceManager.getClusterTimeStamp() + "_";
    ProcessHandle.allProcesses()
        .filter(p -> CommandLines.of(p).map(c -> c.contains(ours)).orElse(false))
        .forEach(p -> {
          p.destroyForcibly();
          try {
            p.onExit().get(10, TimeUnit.SECONDS);
          } catch (Exception e) {
            System.err.println("container process " + p.pid() + " did not exit: " + e);
          }
        });
  }
}
