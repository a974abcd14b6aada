package ai.igspark.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.igspark.spark.kryo.IgsparkKryoRegistrator;
import java.util.Map;
import org.apache.spark.SparkConf;
import org.junit.jupiter.api.Test;

class SparkContextsTest {

  @Test
  void defaultIsLocalOneWithKryoRegistrationRequired() {
    SparkConf conf = SparkContexts.builder().environment(Map.of()).conf();

    assertEquals("local[1]", conf.get("spark.master"));
    assertEquals("org.apache.spark.serializer.KryoSerializer", conf.get("spark.serializer"));
    assertEquals("true", conf.get("spark.kryo.registrationRequired"));
    assertEquals(IgsparkKryoRegistrator.class.getName(), conf.get("spark.kryo.registrator"));
    assertEquals("false", conf.get("spark.dynamicAllocation.enabled"));
    assertEquals("false", conf.get("spark.speculation"));
    assertFalse(conf.contains("spark.cores.max"));
  }

  @Test
  void executorsRunDjlOffline() {
    SparkConf conf = SparkContexts.builder()
        .environment(Map.of())
        .set("spark.executor.extraJavaOptions", "-Xss4m")
        .conf();

    assertEquals("true", conf.get("spark.executorEnv.OPT_OUT_TRACKING"));
    assertEquals("true", conf.get("spark.executorEnv.DJL_OFFLINE"));
    assertEquals("PASSIVE", conf.get("spark.executorEnv.OMP_WAIT_POLICY"));
    assertEquals("AUTO", conf.get("spark.executorEnv.MKL_CBWR"));
    assertTrue(conf.get("spark.executor.extraJavaOptions")
        .contains("-Dai.djl.offline=true -DOPT_OUT_TRACKING=true"));
  }

  @Test
  void standaloneAsksForWorldSizeExecutorsOfAllTheirCoresBeforeScheduling() {
    SparkConf conf = SparkContexts.builder()
        .environment(Map.of())
        .master("spark://127.0.0.1:7077")
        .worldSize(4)
        .executorCores(2)
        .conf();

    assertEquals("8", conf.get("spark.cores.max"));
    assertEquals("2", conf.get("spark.executor.cores"));
    assertEquals("2", conf.get("spark.task.cpus")); // one task per executor JVM
    assertEquals("1.0", conf.get("spark.scheduler.minRegisteredResourcesRatio"));
    assertEquals("120s", conf.get("spark.scheduler.maxRegisteredResourcesWaitingTime"));
  }

  @Test
  void executorCoresFromSparkSubmitsProfileAreKept() {
    System.setProperty("spark.executor.cores", "4");
    try {
      SparkConf conf = SparkContexts.builder()
          .environment(Map.of())
          .master("spark://127.0.0.1:7077")
          .worldSize(2)
          .conf();

      assertEquals("4", conf.get("spark.task.cpus"));
      assertEquals("8", conf.get("spark.cores.max"));
    } finally {
      System.clearProperty("spark.executor.cores");
    }
  }

  @Test
  void yarnAndKubernetesAskForWorldSizeExecutorInstances() {
    SparkConf conf = SparkContexts.builder()
        .environment(Map.of())
        .master("yarn")
        .worldSize(3)
        .conf();

    assertEquals("3", conf.get("spark.executor.instances"));
    assertFalse(conf.contains("spark.cores.max"));
  }

  @Test
  void driverBindsToSparkLocalIp() {
    SparkConf conf = SparkContexts.builder()
        .environment(Map.of("SPARK_LOCAL_IP", "127.0.0.1"))
        .uiEnabled(false)
        .conf();

    assertEquals("127.0.0.1", conf.get("spark.driver.host"));
    assertEquals("127.0.0.1", conf.get("spark.driver.bindAddress"));
    assertEquals("false", conf.get("spark.ui.enabled"));
  }

  @Test
  void theTrainingMetricsPluginJoinsTheUsersPlugins() {
    SparkConf conf = SparkContexts.builder()
        .set("spark.plugins", "com.example.UserPlugin, com.example.Other")
        .uiEnabled(false)
        .conf();

    assertEquals("com.example.UserPlugin, com.example.Other,"
        + "ai.igspark.spark.metrics.TrainingMetricsPlugin", conf.get("spark.plugins"));
  }

  @Test
  void theTrainingMetricsPluginIsListedOnceWhenTheUserNamedItToo() {
    String both = "ai.igspark.spark.metrics.TrainingMetricsPlugin,com.example.UserPlugin";
    SparkConf conf = SparkContexts.builder().set("spark.plugins", both).uiEnabled(false).conf();

    assertEquals(both, conf.get("spark.plugins"));
  }
}
