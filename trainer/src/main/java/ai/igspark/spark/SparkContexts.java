package ai.igspark.spark;

import ai.igspark.data.InvalidInputException;
import ai.igspark.spark.metrics.TrainingMetricsPlugin;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.serializer.KryoSerializer;

/**
 * Builds the {@link SparkConf} every igspark driver uses and starts contexts from it.
 *
 * <p>What it sets, and why (docs/PLATFORM.md §2):
 *
 * <ul>
 *   <li>Kryo with {@code registrationRequired=true} and {@code IgsparkKryoRegistrator}.
 *   <li>DJL offline on executors: {@code spark.executorEnv.*} and {@code
 *       spark.executor.extraJavaOptions}; DJL otherwise probes a non-loopback address.
 *   <li>{@code spark.task.cpus = spark.executor.cores}: one training task per executor JVM,
 *       because DJL allows one GradientCollector per JVM (docs/ARCHITECTURE.md §4).
 *   <li>On a cluster, {@code spark.cores.max} (standalone) or {@code spark.executor.instances}
 *       (YARN, Kubernetes) sized to the world size, with {@code
 *       spark.scheduler.minRegisteredResourcesRatio=1.0}: without both, a barrier stage is
 *       submitted before executors register and retries every 15 s.
 *   <li>No dynamic allocation (barrier stages refuse it, SPARK-24954) and no speculation.
 *   <li>{@code TrainingMetricsPlugin} added to {@code spark.plugins} (a user's plugins kept), so
 *       Spark's metrics sinks report the training scalars (docs/METRICS.md §8).
 *   <li>The driver bound to {@code SPARK_LOCAL_IP} when that is set (127.0.0.1 on a laptop and in
 *       tests), so nothing listens beyond loopback.
 * </ul>
 */
public final class SparkContexts {
  /**
   * Named, not referenced: the registrator lists result classes of the packages above this one
   * (train, ckpt, eval), so a class reference would close a package cycle. IgsparkKryoRegistratorTest
   * loads it by this name.
   */
  /** The master URL forms Spark 4 accepts (SparkContext.createTaskScheduler). */
  private static final java.util.regex.Pattern MASTER_URL = java.util.regex.Pattern.compile(
      "local|local\\[(\\*|\\d+)(\\s*,\\s*\\d+)?]|local-cluster\\[\\d+, *\\d+, *\\d+]"
          + "|spark://\\S+|yarn|k8s://\\S+");

  public static final String KRYO_REGISTRATOR = "ai.igspark.spark.kryo.IgsparkKryoRegistrator";

  /** The executor JVM flags igspark always adds (DJL offline, no telemetry). */
  static final String EXECUTOR_JAVA_OPTIONS = "-Dai.djl.offline=true -DOPT_OUT_TRACKING=true";

  private SparkContexts() {}

  public static Builder builder() {
    return new Builder();
  }

  /** Builder for the igspark SparkConf; {@link #conf()} and {@link #start()} finish it. */
  public static final class Builder {
    private String master;
    private String appName;
    private int worldSize = 1;
    private Integer executorCores;
    private String executorMemory;
    private boolean uiEnabled = true;
    private String executorClassPath;
    private final List<String> jars = new ArrayList<>();
    private final List<Class<?>> kryoClasses = new ArrayList<>();
    private final Map<String, String> extra = new LinkedHashMap<>();
    private Map<String, String> environment = System.getenv();

    private Builder() {}

    /**
     * Spark master URL. Unset: the one spark-submit passed ({@code spark.master}), else {@code
     * local[1]} (the embedded default, world size 1).
     */
    public Builder master(String master) {
      this.master = master;
      return this;
    }

    public Builder appName(String appName) {
      this.appName = appName;
      return this;
    }

    /** Number of ranks (one task per executor JVM); sizes the executors asked of a cluster. */
    public Builder worldSize(int worldSize) {
      if (worldSize < 1) {
        throw new IllegalArgumentException("world size must be >= 1, got " + worldSize);
      }
      this.worldSize = worldSize;
      return this;
    }

    /**
     * Cores per executor JVM; a rank's task takes all of them. Unset: {@code
     * spark.executor.cores} from spark-submit's profile, else 1.
     */
    public Builder executorCores(int executorCores) {
      if (executorCores < 1) {
        throw new IllegalArgumentException("executor cores must be >= 1, got " + executorCores);
      }
      this.executorCores = executorCores;
      return this;
    }

    /** Executor heap, e.g. {@code "1g"}; unset keeps Spark's default. */
    public Builder executorMemory(String executorMemory) {
      this.executorMemory = executorMemory;
      return this;
    }

    /** Whether the Spark web UI runs; tests turn it off. */
    public Builder uiEnabled(boolean uiEnabled) {
      this.uiEnabled = uiEnabled;
      return this;
    }

    /**
     * Class path prepended on every executor ({@code spark.executor.extraClassPath}): igspark's
     * jars or class directories when they are already present on the executors' hosts.
     */
    public Builder executorClassPath(String executorClassPath) {
      this.executorClassPath = executorClassPath;
      return this;
    }

    /** Jars the driver serves to executors ({@code spark.jars}). */
    public Builder jars(List<String> jars) {
      this.jars.addAll(jars);
      return this;
    }

    /** Extra classes for Kryo (an application's own result types and their arrays). */
    public Builder registerKryoClasses(Class<?>... classes) {
      this.kryoClasses.addAll(List.of(classes));
      return this;
    }

    /**
     * An environment variable of every executor ({@code spark.executorEnv.NAME}); it overrides
     * the same variable from spark-submit's profile or {@code --conf}.
     */
    public Builder executorEnv(String name, String value) {
      extra.put("spark.executorEnv." + name, value);
      return this;
    }

    /** Any other Spark property; applied last, so it overrides what the builder derived. */
    public Builder set(String key, String value) {
      extra.put(key, value);
      return this;
    }

    /** The process environment to read {@code SPARK_LOCAL_IP} from (tests pass their own). */
    public Builder environment(Map<String, String> environment) {
      this.environment = environment;
      return this;
    }

    public SparkConf conf() {
      // loadDefaults: under spark-submit the profile's spark-defaults.conf and --conf arrive as
      // spark.* system properties.
      SparkConf conf = new SparkConf(true);
      if (master != null || !conf.contains("spark.master")) {
        conf.setMaster(master != null ? master : "local[1]");
      }
      if (appName != null || !conf.contains("spark.app.name")) {
        conf.setAppName(appName != null ? appName : "igspark");
      }
      String resolvedMaster = conf.get("spark.master");

      conf.set("spark.serializer", KryoSerializer.class.getName());
      conf.set("spark.kryo.registrationRequired", "true");
      conf.set("spark.kryo.registrator", KRYO_REGISTRATOR);
      if (!kryoClasses.isEmpty()) {
        conf.registerKryoClasses(kryoClasses.toArray(new Class<?>[0]));
      }

      conf.set("spark.executorEnv.OPT_OUT_TRACKING", "true");
      conf.set("spark.executorEnv.DJL_OFFLINE", "true");
      conf.set("spark.executorEnv.OMP_WAIT_POLICY", "PASSIVE");
      // libtorch's MKL picks kernels by the data's memory alignment unless conditional numerical
      // reproducibility is on; a replacement executor (other allocation history) then drifted
      // from the survivors' bitwise trajectory (docs/RELIABILITY.md, executor kill).
      conf.setIfMissing("spark.executorEnv.MKL_CBWR", "AUTO");

      int cores = executorCores != null ? executorCores : conf.getInt("spark.executor.cores", 1);
      conf.set("spark.executor.cores", Integer.toString(cores));
      boolean local = resolvedMaster.startsWith("local");
      conf.set("spark.task.cpus", Integer.toString(local ? 1 : cores));
      conf.set("spark.dynamicAllocation.enabled", "false");
      // A speculative copy of a rank would join the rendezvous as a second member.
      conf.set("spark.speculation", "false");
      if (!local) {
        conf.set("spark.scheduler.minRegisteredResourcesRatio", "1.0");
        // Spark's 30 s default runs out on a loaded machine while executor JVMs still start.
        conf.setIfMissing("spark.scheduler.maxRegisteredResourcesWaitingTime", "120s");
        if (resolvedMaster.startsWith("spark://")) {
          conf.set("spark.cores.max", Integer.toString(worldSize * cores));
        } else {
          conf.set("spark.executor.instances", Integer.toString(worldSize));
        }
      }
      if (executorMemory != null) {
        conf.set("spark.executor.memory", executorMemory);
      }

      String localIp = environment.get("SPARK_LOCAL_IP");
      if (localIp != null && !localIp.isBlank()) {
        conf.set("spark.driver.host", localIp);
        conf.set("spark.driver.bindAddress", localIp);
      }
      conf.set("spark.ui.enabled", Boolean.toString(uiEnabled));
      conf.set("spark.ui.showConsoleProgress", "false");

      if (executorClassPath != null) {
        conf.set("spark.executor.extraClassPath", executorClassPath);
      }
      if (!jars.isEmpty()) {
        conf.set("spark.jars", String.join(",", jars));
      }
      extra.forEach(conf::set);
      addPlugin(conf, TrainingMetricsPlugin.class.getName());
      // Added to, never replaced: executors must stay offline whatever else they are given.
      String javaOptions = conf.get("spark.executor.extraJavaOptions", "");
      if (!javaOptions.contains(EXECUTOR_JAVA_OPTIONS)) {
        conf.set(
            "spark.executor.extraJavaOptions", (javaOptions + " " + EXECUTOR_JAVA_OPTIONS).strip());
      }
      // As many torch intra-op threads as the executor has cores (torch's default is every core
      // of the machine): no oversubscription, and the thread count, which fixes how parallel
      // reductions split their sums, is the same in a replacement executor.
      javaOptions = conf.get("spark.executor.extraJavaOptions");
      if (!local && !javaOptions.contains("-Dai.djl.pytorch.num_threads=")) {
        conf.set("spark.executor.extraJavaOptions",
            javaOptions + " -Dai.djl.pytorch.num_threads=" + cores
                + " -Dai.djl.pytorch.num_interop_threads=1");
      }
      return conf;
    }

    /**
     * Starts a context; the caller closes it. A master URL Spark cannot parse is the user's
     * mistake, reported as such (Spark says it in a SparkException like any other failure).
     */
    public JavaSparkContext start() {
      SparkConf conf = conf();
      String master = conf.get("spark.master", "");
      if (!MASTER_URL.matcher(master).matches()) {
        throw badMaster(master);
      }
      try {
        return new JavaSparkContext(conf);
      } catch (Exception e) { // Scala's SparkException is checked in Java but not declared
        if (String.valueOf(e.getMessage()).startsWith("Could not parse Master URL")) {
          throw badMaster(master);
        }
        if (e instanceof RuntimeException r) {
          throw r;
        }
        throw new IllegalStateException("Spark could not start: " + e.getMessage(), e);
      }
    }
  }

  /** Adds {@code plugin} to the comma-separated {@code spark.plugins}, keeping what is there. */
  private static void addPlugin(SparkConf conf, String plugin) {
    String plugins = conf.get("spark.plugins", "").strip();
    if (!List.of(plugins.split("\\s*,\\s*")).contains(plugin)) {
      conf.set("spark.plugins", plugins.isEmpty() ? plugin : plugins + "," + plugin);
    }
  }

  private static InvalidInputException badMaster(String master) {
    return new InvalidInputException(
        "--master " + (master.isEmpty() ? "(unset)" : master) + ": not a Spark master URL;"
            + " expected local, local[N], local[*], spark://HOST:PORT[,HOST:PORT], yarn or"
            + " k8s://https://HOST:PORT");
  }
}
