package ai.igspark.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.igspark.data.InvalidInputException;
import java.util.Map;
import java.util.Optional;
import org.apache.spark.SparkConf;
import org.apache.spark.resource.ExecutorResourceRequest;
import org.apache.spark.resource.ResourceProfile;
import org.apache.spark.resource.TaskResourceProfile;
import org.apache.spark.resource.TaskResourceRequest;
import org.junit.jupiter.api.Test;

/** The profile each stage asks for, by master and executor shape; no context is started. */
class StageProfilesTest {
  private static final String GPU_AMOUNT = "spark.executor.resource.gpu.amount";

  /** An application on {@code master} whose executors have {@code cores} and {@code gpus}. */
  private static SparkConf conf(String master, int cores, int gpus) {
    SparkConf conf = new SparkConf(false)
        .setMaster(master)
        .set("spark.executor.cores", Integer.toString(cores))
        .set("spark.dynamicAllocation.enabled", "false");
    if (gpus > 0) {
      conf.set(GPU_AMOUNT, Integer.toString(gpus));
    }
    return conf;
  }

  private static double taskCpus(ResourceProfile profile) {
    return profile.taskResourcesJMap().get(ResourceProfile.CPUS()).amount();
  }

  /** The task's GPU amount; 0 when the profile asks for none. */
  private static double taskGpus(ResourceProfile profile) {
    TaskResourceRequest gpu = profile.taskResourcesJMap().get(DeviceAssignment.GPU);
    return gpu == null ? 0 : gpu.amount();
  }

  @Test
  void trainingOnAStandaloneGpuExecutorTakesEveryCoreAndGpuAsATaskOnlyProfile() {
    ResourceProfile training =
        StageProfiles.of(conf("spark://127.0.0.1:7077", 8, 4)).training().orElseThrow();

    assertInstanceOf(TaskResourceProfile.class, training);
    assertEquals(8, taskCpus(training));
    assertEquals(4, taskGpus(training));
    assertTrue(training.executorResourcesJMap().isEmpty(), training.toString());
  }

  @Test
  void trainingOnCpuExecutorsTakesEveryCoreAndNoGpu() {
    ResourceProfile training = StageProfiles.of(conf("yarn", 6, 0)).training().orElseThrow();

    assertEquals(6, taskCpus(training));
    assertEquals(0, taskGpus(training));
  }

  @Test
  void evaluationOnTheTasksGpusTakesOneGpuAndItsShareOfTheCores() {
    ResourceProfile eval =
        StageProfiles.of(conf("k8s://https://127.0.0.1:6443", 8, 4)).evaluation(true)
            .orElseThrow();

    assertInstanceOf(TaskResourceProfile.class, eval);
    assertEquals(2, taskCpus(eval));
    assertEquals(1, taskGpus(eval));
  }

  @Test
  void evaluationOnAFixedDeviceOrOnCpuExecutorsKeepsTheDefaultProfile() {
    assertEquals(Optional.empty(), StageProfiles.of(conf("yarn", 8, 4)).evaluation(false));
    assertEquals(Optional.empty(), StageProfiles.of(conf("yarn", 8, 0)).evaluation(true));
  }

  @Test
  void ingestionOnGpuExecutorsRunsOneTaskPerGpuShareHoldingAGpuOnlyForAGpuEncoder() {
    StageProfiles profiles = StageProfiles.of(conf("spark://127.0.0.1:7077", 16, 8));

    ResourceProfile cpuEncoder = profiles.ingestion(false).orElseThrow();
    ResourceProfile gpuEncoder = profiles.ingestion(true).orElseThrow();

    assertEquals(2, taskCpus(cpuEncoder));
    assertEquals(0, taskGpus(cpuEncoder));
    assertEquals(2, taskCpus(gpuEncoder));
    assertEquals(1, taskGpus(gpuEncoder));
  }

  @Test
  void ingestionOnCpuExecutorsKeepsTheDefaultProfile() {
    assertEquals(Optional.empty(), StageProfiles.of(conf("yarn", 8, 0)).ingestion(false));
  }

  @Test
  void moreGpusThanCoresGiveEachGpuTaskOneCore() {
    ResourceProfile eval = StageProfiles.of(conf("yarn", 2, 8)).evaluation(true).orElseThrow();

    assertEquals(1, taskCpus(eval));
    assertEquals(1, taskGpus(eval));
  }

  @Test
  void localMastersAskForNoProfileAtAll() {
    for (String master : new String[] {"local", "local[4]", "local-cluster[2, 1, 1024]"}) {
      StageProfiles profiles = StageProfiles.of(conf(master, 4, 2));
      assertEquals(Optional.empty(), profiles.training(), master);
      assertEquals(Optional.empty(), profiles.evaluation(true), master);
      assertEquals(Optional.empty(), profiles.ingestion(true), master);
    }
  }

  @Test
  void modeOffKeepsEveryStageOnTheDefaultProfile() {
    StageProfiles profiles =
        StageProfiles.of(conf("yarn", 8, 4).set(StageProfiles.MODE_KEY, "OFF"));

    assertEquals(StageProfiles.Mode.OFF, profiles.mode());
    assertEquals(Optional.empty(), profiles.training());
    assertEquals(Optional.empty(), profiles.evaluation(true));
    assertEquals(Optional.empty(), profiles.ingestion(true));
  }

  @Test
  void underDynamicAllocationTrainingAsksNothingAndEvaluationAsksForExecutorsOfTheDefaultShape() {
    SparkConf conf = conf("yarn", 8, 4)
        .set("spark.dynamicAllocation.enabled", "true")
        .set("spark.executor.resource.gpu.discoveryScript", "/opt/discover-gpus.sh");
    StageProfiles profiles = StageProfiles.of(conf);

    ResourceProfile eval = profiles.evaluation(true).orElseThrow();

    assertEquals(Optional.empty(), profiles.training()); // barrier stages refuse it anyway
    Map<String, ExecutorResourceRequest> executor = eval.executorResourcesJMap();
    assertEquals(8, executor.get(ResourceProfile.CORES()).amount());
    assertEquals(4, executor.get(DeviceAssignment.GPU).amount());
    assertEquals("/opt/discover-gpus.sh", executor.get(DeviceAssignment.GPU).discoveryScript());
    assertEquals(2, taskCpus(eval));
    assertEquals(1, taskGpus(eval));
  }

  @Test
  void anUnknownModeNamesTheKeyAndTheValuesItTakes() {
    SparkConf conf = conf("yarn", 8, 4).set(StageProfiles.MODE_KEY, "sometimes");

    InvalidInputException e =
        assertThrows(InvalidInputException.class, () -> StageProfiles.of(conf));

    assertTrue(e.getMessage().startsWith("spark.igspark.stageProfiles=sometimes: expected auto"),
        e.getMessage());
    assertTrue(e.getMessage().contains("or off"), e.getMessage());
  }

  @Test
  void aGpuAmountThatIsNotAWholeNumberIsNamed() {
    SparkConf conf = conf("yarn", 8, 0).set(GPU_AMOUNT, "eight");

    InvalidInputException e =
        assertThrows(InvalidInputException.class, () -> StageProfiles.of(conf));

    assertEquals(GPU_AMOUNT + "=eight: expected a whole number of at least 0", e.getMessage());
  }
}
