package ai.igspark.spark;

import ai.igspark.data.InvalidInputException;
import java.util.Locale;
import java.util.Optional;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.rdd.RDD;
import org.apache.spark.resource.ExecutorResourceRequests;
import org.apache.spark.resource.ResourceProfile;
import org.apache.spark.resource.ResourceProfileBuilder;
import org.apache.spark.resource.ResourceProfileManager;
import org.apache.spark.resource.TaskResourceRequests;
import scala.Option;

/**
 * The resource profile of each kind of stage (stage-level scheduling, docs/ARCHITECTURE.md §4.4):
 * the barrier training stage takes whole executors with all their GPUs, evaluation takes one GPU
 * per task, ingestion small CPU tasks. An empty profile means Spark's default one, which is what
 * every stage used before and still uses in local mode, with {@value #MODE_KEY}{@code =off}, and
 * wherever a smaller task would not help.
 *
 * <p>What Spark 4.2 allows decides what is asked ({@code ResourceProfileManager.isSupported},
 * {@code DAGScheduler.checkBarrierStageWithDynamicAllocation}):
 *
 * <ul>
 *   <li>Without dynamic allocation (igspark's contexts always turn it off, because barrier stages
 *       refuse it) only task-level profiles ({@code TaskResourceProfile}) are supported, on
 *       standalone, YARN and Kubernetes; their tasks run on the executors that the default
 *       profile started, so they may ask at most what one of those executors has.
 *   <li>Profiles with executor requests need dynamic allocation, which a barrier stage refuses:
 *       the training stage therefore never asks for executors, and evaluation and ingestion ask
 *       for executors of the default shape only when dynamic allocation is on.
 *   <li>Local masters reject non-default profiles outside Spark's own tests.
 * </ul>
 *
 * <p>Building a profile needs no context; {@link #registered} hands Spark the profile, reusing an
 * equivalent one it already holds, so every segment's stage carries the same profile id.
 */
public final class StageProfiles {
  /** {@code auto} (the default) or {@code off}: a Spark property, or a local property of a job. */
  public static final String MODE_KEY = "spark.igspark.stageProfiles";

  /** Whether igspark asks for stage profiles at all. */
  public enum Mode {
    AUTO,
    OFF
  }

  /** What one executor of the default profile has: {@code spark.executor.cores} and GPUs. */
  public record ExecutorShape(int cores, int gpus) {}

  private final Mode mode;
  private final boolean local;
  private final boolean dynamicAllocation;
  private final ExecutorShape executor;
  private final String gpuDiscoveryScript;
  private final String gpuVendor;

  private StageProfiles(SparkConf conf, String modeOverride) {
    String value = modeOverride != null ? modeOverride : conf.get(MODE_KEY, "auto");
    this.mode = parseMode(value);
    this.local = conf.get("spark.master", "local[1]").startsWith("local");
    this.dynamicAllocation = conf.getBoolean("spark.dynamicAllocation.enabled", false);
    this.executor = new ExecutorShape(
        positive(conf, "spark.executor.cores", 1, 1),
        positive(conf, "spark.executor.resource." + DeviceAssignment.GPU + ".amount", 0, 0));
    this.gpuDiscoveryScript = conf.get(
        "spark.executor.resource." + DeviceAssignment.GPU + ".discoveryScript", "");
    this.gpuVendor = conf.get("spark.executor.resource." + DeviceAssignment.GPU + ".vendor", "");
  }

  /** The profiles for an application's configuration (its master, executors and mode). */
  public static StageProfiles of(SparkConf conf) {
    return new StageProfiles(conf, null);
  }

  /**
   * The profiles for jobs submitted from this thread: the context's configuration, with {@value
   * #MODE_KEY} as a local property (like Spark's scheduler pool) taking precedence over the conf.
   */
  public static StageProfiles of(JavaSparkContext sc) {
    return new StageProfiles(sc.getConf(), sc.getLocalProperty(MODE_KEY));
  }

  public Mode mode() {
    return mode;
  }

  public ExecutorShape executor() {
    return executor;
  }

  /**
   * The barrier training stage: one task holds a whole executor, all its cores and GPUs (one task
   * per executor JVM, docs/ARCHITECTURE.md §4.1). Task-level only: the stage is a barrier stage,
   * so dynamic allocation, which executor-level profiles need, is off.
   */
  public Optional<ResourceProfile> training() {
    if (!asks() || dynamicAllocation) {
      return Optional.empty(); // Spark refuses a barrier stage under dynamic allocation itself
    }
    return Optional.of(profile(executor.cores(), executor.gpus()));
  }

  /**
   * Evaluation: with {@code onTaskGpus} (the job's device is the task's GPU), one GPU and an equal
   * share of the executor's cores per task, so every GPU samples; on CPU executors, or for a job
   * on a fixed device, the default profile (one task per executor, as the model and extractor
   * are loaded once per task).
   */
  public Optional<ResourceProfile> evaluation(boolean onTaskGpus) {
    if (!asks() || !onTaskGpus || executor.gpus() == 0) {
      return Optional.empty();
    }
    return Optional.of(profile(sharePerGpu(), 1));
  }

  /**
   * Ingestion: on GPU executors, tasks of one GPU's share of the cores; with {@code vaeOnGpu}
   * each also holds that GPU, else none (the encoder runs on the CPU). On CPU executors the
   * default profile: libtorch already uses every core of the executor in one encoder call, and
   * each more task would hold one more encoder with its activations.
   */
  public Optional<ResourceProfile> ingestion(boolean vaeOnGpu) {
    if (!asks() || executor.gpus() == 0) {
      return Optional.empty();
    }
    return Optional.of(profile(sharePerGpu(), vaeOnGpu ? 1 : 0));
  }

  private int sharePerGpu() {
    return Math.max(1, executor.cores() / executor.gpus());
  }

  private boolean asks() {
    return mode == Mode.AUTO && !local;
  }

  /** Task requests; executor requests of the default shape only under dynamic allocation. */
  private ResourceProfile profile(int taskCpus, int taskGpus) {
    TaskResourceRequests task = new TaskResourceRequests().cpus(taskCpus);
    if (taskGpus > 0) {
      task.resource(DeviceAssignment.GPU, taskGpus);
    }
    ResourceProfileBuilder builder = new ResourceProfileBuilder().require(task);
    if (dynamicAllocation) {
      ExecutorResourceRequests executorRequests =
          new ExecutorResourceRequests().cores(executor.cores());
      if (executor.gpus() > 0) {
        executorRequests.resource(
            DeviceAssignment.GPU, executor.gpus(), gpuDiscoveryScript, gpuVendor);
      }
      builder.require(executorRequests);
    }
    return builder.build();
  }

  /**
   * The profile Spark schedules with: {@code profile} registered with the context (an
   * equivalent profile it already holds when there is one, so the id stays the same from job to
   * job), or the default profile when {@code profile} is empty.
   */
  public static ResourceProfile registered(JavaSparkContext sc, Optional<ResourceProfile> profile) {
    // resourceProfileManager is private[spark] in Scala but public in bytecode; no public API
    // registers a profile without an RDD or counts its slots (igspark pins Spark 4.2.0).
    ResourceProfileManager manager = sc.sc().resourceProfileManager();
    if (profile.isEmpty()) {
      return manager.defaultResourceProfile();
    }
    Option<ResourceProfile> known = manager.getEquivalentProfile(profile.get());
    if (known.isDefined()) {
      return known.get();
    }
    manager.addResourceProfile(profile.get());
    return profile.get();
  }

  /** {@code rdd} with {@code profile}, unchanged when the profile is empty. */
  public static <T> RDD<T> apply(
      JavaSparkContext sc, RDD<T> rdd, Optional<ResourceProfile> profile) {
    return profile.isEmpty() ? rdd : rdd.withResources(registered(sc, profile));
  }

  /** {@code rdd} with {@code profile}, unchanged when the profile is empty. */
  public static <T> JavaRDD<T> apply(
      JavaSparkContext sc, JavaRDD<T> rdd, Optional<ResourceProfile> profile) {
    return profile.isEmpty() ? rdd : rdd.withResources(registered(sc, profile));
  }

  private static Mode parseMode(String value) {
    try {
      return Mode.valueOf(value.strip().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new InvalidInputException(
          MODE_KEY + "=" + value + ": expected auto (stage-level scheduling where the cluster"
              + " manager supports it) or off (every stage on the default resource profile)");
    }
  }

  private static int positive(SparkConf conf, String key, int fallback, int min) {
    String value = conf.get(key, Integer.toString(fallback)).strip();
    try {
      int n = Integer.parseInt(value);
      if (n >= min) {
        return n;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new InvalidInputException(
        key + "=" + value + ": expected a whole number of at least " + min);
  }
}
