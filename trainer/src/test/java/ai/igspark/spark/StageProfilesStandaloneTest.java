package ai.igspark.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.igspark.config.RunConfig;
import ai.igspark.tensorfile.SafetensorsFile;
import ai.igspark.train.TinyRun;
import ai.igspark.train.TrainDriver;
import ai.igspark.train.TrainingState;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.Serializable;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;
import org.apache.spark.SparkEnv;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.rdd.RDD;
import org.apache.spark.resource.ResourceInformation;
import org.apache.spark.resource.ResourceProfile;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerStageSubmitted;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import scala.collection.Iterator;
import scala.reflect.ClassTag;
import scala.reflect.ClassTag$;
import scala.runtime.AbstractFunction1;

/**
 * Stage-level scheduling on a real standalone cluster: 2 Workers of 2 cores and 2 declared GPUs
 * each (stand-ins on CPU machines, for scheduling only). The training stage's tasks hold whole
 * executors, evaluation tasks one GPU each, ingestion tasks one core; and a barrier segment
 * trains to the same weights, bit for bit, on its profile as on the default one.
 */
@Tag("slow")
class StageProfilesStandaloneTest {
  @RegisterExtension
  static final LoopbackStandaloneCluster CLUSTER =
      LoopbackStandaloneCluster.withGpuWorkers(2, "1g", 2, 2);

  @TempDir Path dir;

  /**
   * What a task was given, and where it ran. Tasks return it as a string ({@link #encoded}):
   * Kryo, with registration required, has no serializer for a test's record.
   */
  record TaskShape(int stageId, String executorId, int cpus, String gpus) {
    static String current() {
      TaskContext task = TaskContext.get();
      ResourceInformation gpus = task.resourcesJMap().get(DeviceAssignment.GPU);
      return new TaskShape(task.stageId(), SparkEnv.get().executorId(), task.cpus(),
          gpus == null ? "" : String.join(",", gpus.addresses())).encoded();
    }

    String encoded() {
      return stageId + "|" + executorId + "|" + cpus + "|" + gpus;
    }

    static TaskShape decode(String encoded) {
      String[] f = encoded.split("\\|", -1);
      return new TaskShape(Integer.parseInt(f[0]), f[1], Integer.parseInt(f[2]), f[3]);
    }
  }

  /** The resource profile id of every stage submitted, by stage id. */
  static final class StageProfileIds extends SparkListener {
    final Map<Integer, Integer> byStage = new ConcurrentHashMap<>();
    final Map<Integer, String> names = new ConcurrentHashMap<>();

    @Override
    public void onStageSubmitted(SparkListenerStageSubmitted submitted) {
      byStage.put(submitted.stageInfo().stageId(), submitted.stageInfo().resourceProfileId());
      names.put(submitted.stageInfo().stageId(), submitted.stageInfo().name());
    }

    /** Profile ids of the stages whose call site names {@code className}, in stage order. */
    List<Integer> of(JavaSparkContext sc, String className) throws Exception {
      sc.sc().listenerBus().waitUntilEmpty(30_000);
      return names.entrySet().stream()
          .filter(e -> e.getValue().contains(className + ".java"))
          .sorted(Map.Entry.comparingByKey())
          .map(e -> byStage.get(e.getKey()))
          .toList();
    }
  }

  private static JavaSparkContext start(String app, String memory, boolean gpus) throws Exception {
    SparkContexts.Builder builder = SparkContexts.builder()
        .master(CLUSTER.masterUrl())
        .appName(app)
        .worldSize(2)
        .executorCores(2)
        .executorMemory(memory)
        .executorClassPath(CLUSTER.executorClassPath())
        .uiEnabled(false);
    if (gpus) {
      // As the cluster profiles do: the default task holds the executor's GPUs too.
      builder.set("spark.executor.resource.gpu.amount", "2")
          .set("spark.task.resource.gpu.amount", "2");
    }
    JavaSparkContext sc = builder.start();
    // Generous: executor JVMs start slowly on a loaded 2-core machine.
    long deadline = System.nanoTime() + 300_000_000_000L;
    while (SegmentJob.availableSlots(sc) < 2 && System.nanoTime() < deadline) {
      Thread.sleep(100);
    }
    assertEquals(2, SegmentJob.availableSlots(sc), "executors did not register");
    return sc;
  }

  /** Runs {@code profile}'s tasks as one barrier stage, so all of them hold their slots at once. */
  private static List<TaskShape> allAtOnce(JavaSparkContext sc, ResourceProfile profile,
      int tasks) {
    List<Integer> ids = java.util.stream.IntStream.range(0, tasks).boxed().toList();
    ClassTag<String> tag = ClassTag$.MODULE$.apply(String.class);
    RDD<String> stage = StageProfiles.apply(sc, sc.parallelize(ids, tasks), Optional.of(profile))
        .rdd().barrier()
        .mapPartitions(new ShapeOfTask(), false, tag);
    return new JavaRDD<>(stage, tag).collect().stream().map(TaskShape::decode).toList();
  }

  /** A barrier partition function: the task's {@link TaskShape}. */
  static final class ShapeOfTask
      extends AbstractFunction1<Iterator<Integer>, Iterator<String>> implements Serializable {
    private static final long serialVersionUID = 1L;

    @Override
    public Iterator<String> apply(Iterator<Integer> partition) {
      return scala.package$.MODULE$.Iterator().single(TaskShape.current());
    }
  }

  @Test
  void trainingTasksHoldWholeExecutorsAndEvaluationAndIngestionTasksShareThem() throws Exception {
    try (JavaSparkContext sc = start("stage-profiles-gpu-test", "512m", true)) {
      StageProfileIds stages = new StageProfileIds();
      sc.sc().addSparkListener(stages);
      StageProfiles profiles = StageProfiles.of(sc);
      ResourceProfile training = StageProfiles.registered(sc, profiles.training());
      ResourceProfile eval = StageProfiles.registered(sc, profiles.evaluation(true));
      ResourceProfile ingest = StageProfiles.registered(sc, profiles.ingestion(false));

      List<TaskShape> ranks = segment(sc, "first");
      List<TaskShape> again = segment(sc, "second");
      List<TaskShape> evalTasks = allAtOnce(sc, eval, 4);
      List<TaskShape> ingestTasks = allAtOnce(sc, ingest, 4);

      int defaultId = ResourceProfile.DEFAULT_RESOURCE_PROFILE_ID();
      assertNotEquals(defaultId, training.id());
      assertEquals(List.of(training.id(), training.id()), stages.of(sc, "SegmentJob"),
          "both segments on the one training profile");
      assertEquals(2, sc.sc().maxNumConcurrentTasks(training));
      assertEquals(4, sc.sc().maxNumConcurrentTasks(eval));
      assertEquals(4, sc.sc().maxNumConcurrentTasks(ingest));
      for (TaskShape rank : concat(ranks, again)) {
        assertEquals(2, rank.cpus(), rank.toString());
        assertEquals("0,1", rank.gpus(), rank.toString());
      }
      assertNotEquals(ranks.get(0).executorId(), ranks.get(1).executorId());
      for (TaskShape task : evalTasks) {
        assertEquals(eval.id(), stages.byStage.get(task.stageId()));
        assertEquals(1, task.cpus(), task.toString());
      }
      // Two evaluation tasks at once on each executor, each with its own GPU.
      Map<String, Set<String>> gpusByExecutor = evalTasks.stream().collect(
          Collectors.groupingBy(TaskShape::executorId,
              Collectors.mapping(TaskShape::gpus, Collectors.toSet())));
      assertEquals(Map.of(ranks.get(0).executorId(), Set.of("0", "1"),
          ranks.get(1).executorId(), Set.of("0", "1")), gpusByExecutor);
      for (TaskShape task : ingestTasks) {
        assertEquals(ingest.id(), stages.byStage.get(task.stageId()));
        assertEquals(1, task.cpus(), task.toString());
        assertEquals("", task.gpus(), "a CPU encoder's task holds no GPU: " + task);
      }
    }
  }

  private static List<TaskShape> segment(JavaSparkContext sc, String runId) throws Exception {
    return SegmentJob.builder(sc).runId(runId).worldSize(2).build()
        .run(context -> TaskShape.current())
        .stream().map(r -> TaskShape.decode(r.value())).toList();
  }

  private static List<TaskShape> concat(List<TaskShape> a, List<TaskShape> b) {
    return java.util.stream.Stream.concat(a.stream(), b.stream()).toList();
  }

  @Test
  void aBarrierSegmentTrainsToTheDefaultProfilesWeightsBitForBit() throws Exception {
    String manifest = TinyRun.dataset(dir);
    Path onProfile = dir.resolve("on-profile");
    Path onDefault = dir.resolve("on-default");
    List<Integer> profiled;
    List<Integer> unprofiled;
    try (JavaSparkContext sc = start("stage-profiles-training-test", "768m", false)) {
      StageProfileIds stages = new StageProfileIds();
      sc.sc().addSparkListener(stages);
      train(sc, TinyRun.config(dir, "on-profile", onProfile.toString(), manifest, 4, 2, 2));
      profiled = stages.of(sc, "SegmentJob");
      stages.names.clear();
      sc.setLocalProperty(StageProfiles.MODE_KEY, "off");
      try {
        train(sc, TinyRun.config(dir, "on-default", onDefault.toString(), manifest, 4, 2, 2));
      } finally {
        sc.setLocalProperty(StageProfiles.MODE_KEY, null);
      }
      unprofiled = stages.of(sc, "SegmentJob");
    }

    int defaultId = ResourceProfile.DEFAULT_RESOURCE_PROFILE_ID();
    assertTrue(!profiled.isEmpty() && profiled.stream().noneMatch(id -> id == defaultId),
        profiled.toString());
    assertEquals(profiled.size(), unprofiled.size());
    assertTrue(unprofiled.stream().allMatch(id -> id == defaultId), unprofiled.toString());
    for (String file : List.of(TrainingState.MODEL_FILE, TrainingState.EMA_FILE)) {
      String path = "checkpoints/step-00000004/" + file;
      try (SafetensorsFile a = SafetensorsFile.open(onProfile.resolve(path));
          SafetensorsFile b = SafetensorsFile.open(onDefault.resolve(path))) {
        assertEquals(a.names(), b.names());
        for (String name : a.names()) {
          // Arrays.equals on floats compares bits (floatToIntBits).
          assertTrue(Arrays.equals(a.read(name).toFloats(), b.read(name).toFloats()),
              file + " " + name + " differs");
        }
      }
    }
  }

  private static void train(JavaSparkContext sc, Path config) throws Exception {
    RunConfig cfg = RunConfig.load(config);
    new TrainDriver(cfg, config.toString(), Set.of(), new PrintStream(new ByteArrayOutputStream()))
        .run(sc, false);
  }
}
