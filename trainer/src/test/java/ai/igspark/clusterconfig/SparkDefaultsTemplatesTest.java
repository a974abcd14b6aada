package ai.igspark.clusterconfig;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.apache.spark.SparkConf;
import org.apache.spark.internal.config.ConfigEntry;
import org.apache.spark.launcher.JavaModuleOptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Every cluster-config/&lt;profile&gt;/spark-defaults.conf names only keys Spark knows, with values
 * of the type Spark declares, and the GPU profiles keep igspark's one-task-per-executor shape.
 */
class SparkDefaultsTemplatesTest {
  private static SparkConfigKeys keys;

  @BeforeAll
  static void loadSparkKeys() {
    keys = SparkConfigKeys.load();
  }

  @Test
  void yarnAndKubernetesProfilesExist() {
    List<String> profiles =
        ClusterConfigTree.sparkDefaultsFiles().stream()
            .map(p -> p.getParent().getFileName().toString())
            .toList();
    assertTrue(profiles.containsAll(List.of("yarn", "k8s")), "profiles found: " + profiles);
  }

  @Test
  void keyRegistryHasCoreYarnAndKubernetesConfigObjects() {
    assertTrue(keys.loadedObjects().contains(SparkConfigKeys.CORE_CONFIG));
    assertTrue(keys.loadedObjects().contains("org.apache.spark.internal.config.Worker$"));
    assertTrue(keys.loadedObjects().contains(SparkConfigKeys.YARN_CONFIG));
    assertTrue(keys.loadedObjects().contains(SparkConfigKeys.K8S_CONFIG));
  }

  @Test
  void keyRegistryRejectsMisspelledKeys() {
    for (String key :
        List.of(
            "spark.executor.resource.gpu.amout",
            "spark.task.cpu",
            "spark.yarn.maxAppAttempt",
            "spark.kubernetes.executor.podTemplate",
            "spark.task.resource.gpu.discoveryScript",
            "spark.dynamicAllocation.enable")) {
      assertFalse(keys.knows(key), key + " was accepted: " + keys.explain(key));
    }
  }

  @Test
  void keyRegistryAcceptsKeyFamilies() {
    for (String key :
        List.of(
            "spark.executorEnv.OPT_OUT_TRACKING",
            "spark.hadoop.fs.s3a.endpoint",
            "spark.executor.resource.gpu.vendor",
            "spark.worker.resource.gpu.discoveryScript",
            "spark.yarn.appMasterEnv.DJL_OFFLINE",
            "spark.kubernetes.driverEnv.DJL_OFFLINE",
            "spark.kubernetes.executor.label.team")) {
      assertTrue(keys.knows(key), key);
    }
  }

  @TestFactory
  Stream<DynamicTest> everyKeyIsOneSparkKnows() {
    return perFile(
        defaults -> {
          List<String> unknown = new ArrayList<>();
          defaults.properties().keySet().stream().filter(k -> !keys.knows(k)).forEach(unknown::add);
          defaults.commentedKeys().stream()
              .filter(k -> !keys.knows(k))
              .forEach(k -> unknown.add("#" + k));
          assertTrue(unknown.isEmpty(), defaults.file() + " names keys Spark does not know: "
              + unknown);
        });
  }

  @TestFactory
  Stream<DynamicTest> everyValueHasTheTypeSparkDeclares() {
    return perFile(SparkDefaultsTemplatesTest::assertValuesValid);
  }

  @Test
  void valueOfTheWrongTypeIsReportedWithItsKey() {
    SparkDefaults conf =
        SparkDefaults.parse(Path.of("t.conf"), "spark.master yarn\nspark.task.cpus eight\n");
    AssertionError e = assertThrows(AssertionError.class, () -> assertValuesValid(conf));
    assertTrue(e.getMessage().contains("spark.task.cpus=eight"), e.getMessage());
  }

  /** Each value converts with the type of its ConfigEntry, as Spark will convert it. */
  static void assertValuesValid(SparkDefaults defaults) {
    defaults.properties().forEach(
        (key, value) -> {
          ConfigEntry<?> entry = ConfigEntry.findEntry(key);
          if (entry == null) {
            return; // a family key or a launcher constant: plain strings
          }
          try {
            new SparkConf(false).set(key, value).get(entry);
          } catch (RuntimeException e) {
            throw new AssertionError(
                defaults.file() + ": " + key + "=" + value + " is not valid for Spark: "
                    + e.getMessage(), e);
          }
        });
  }

  @TestFactory
  Stream<DynamicTest> gpuProfilesRunOneTaskPerExecutorWithAllItsGpus() {
    return Stream.of("yarn", "k8s")
        .map(
            profile ->
                DynamicTest.dynamicTest(
                    profile,
                    () -> {
                      SparkDefaults conf = profile(profile);
                      assertEquals(conf.get("spark.executor.cores"), conf.get("spark.task.cpus"));
                      assertEquals(
                          conf.get("spark.executor.resource.gpu.amount"),
                          conf.get("spark.task.resource.gpu.amount"));
                      assertTrue(
                          conf.get("spark.executor.resource.gpu.discoveryScript")
                              .endsWith("/cluster-config/gpu/discover-gpus.sh"));
                      assertEquals("false", conf.get("spark.dynamicAllocation.enabled"));
                      assertEquals("1.0", conf.get("spark.scheduler.minRegisteredResourcesRatio"));
                      conf.get("spark.scheduler.maxRegisteredResourcesWaitingTime");
                      assertEquals("cluster", conf.get("spark.submit.deployMode"));
                    }));
  }

  @TestFactory
  Stream<DynamicTest> gpuProfilesKeepDjlOfflineWithSparksModuleOptions() {
    return Stream.of("yarn", "k8s")
        .map(
            profile ->
                DynamicTest.dynamicTest(
                    profile,
                    () -> {
                      SparkDefaults conf = profile(profile);
                      for (String key :
                          List.of(
                              "spark.driver.extraJavaOptions", "spark.executor.extraJavaOptions")) {
                        assertHasJvmFlags(conf.file() + " " + key, conf.get(key));
                      }
                      assertEquals("true", conf.get("spark.executorEnv.OPT_OUT_TRACKING"));
                      assertEquals("true", conf.get("spark.executorEnv.DJL_OFFLINE"));
                      assertEquals(
                          "org.apache.spark.serializer.KryoSerializer",
                          conf.get("spark.serializer"));
                      assertEquals("true", conf.get("spark.kryo.registrationRequired"));
                    }));
  }

  @Test
  void yarnProfileRestartsTheDriverAndAsksYarnForGpus() {
    SparkDefaults conf = profile("yarn");
    assertEquals("yarn", conf.get("spark.master"));
    assertTrue(Integer.parseInt(conf.get("spark.yarn.maxAppAttempts")) > 1);
    assertEquals("yarn.io/gpu", conf.get("spark.yarn.resourceGpuDeviceName"));
    assertEquals("true", conf.get("spark.yarn.appMasterEnv.OPT_OUT_TRACKING"));
  }

  @Test
  void kubernetesProfileUsesNvidiaVendorAndTheCommittedPodTemplate() {
    SparkDefaults conf = profile("k8s");
    assertEquals("nvidia.com", conf.get("spark.executor.resource.gpu.vendor"));
    String template = conf.get("spark.kubernetes.executor.podTemplateFile");
    assertTrue(
        template.endsWith("/cluster-config/k8s/executor-pod-template.yaml"),
        "podTemplateFile " + template);
    ClusterConfigTree.file("k8s/executor-pod-template.yaml");
    assertEquals("true", conf.get("spark.kubernetes.driverEnv.OPT_OUT_TRACKING"));
  }

  @Test
  void duplicateKeyIsRejectedWithItsLine() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                SparkDefaults.parse(
                    Path.of("t.conf"), "spark.task.cpus 2\n# x\nspark.task.cpus   4\n"));
    assertTrue(e.getMessage().contains("t.conf:3"), e.getMessage());
    assertTrue(e.getMessage().contains("spark.task.cpus"), e.getMessage());
  }

  @Test
  void entryWithoutValueIsRejectedWithItsLine() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> SparkDefaults.parse(Path.of("t.conf"), "spark.master local\nspark.task.cpus\n"));
    assertTrue(e.getMessage().contains("t.conf:2"), e.getMessage());
  }

  @Test
  void continuedLinesAreOneValue() {
    SparkDefaults conf =
        SparkDefaults.parse(
            Path.of("t.conf"), "spark.driver.extraJavaOptions \\\n    -Da=1 \\\n    -Db=2\n");
    assertEquals("-Da=1 -Db=2", conf.get("spark.driver.extraJavaOptions"));
  }

  /**
   * Spark's module options as its launcher lists them (JavaModuleOptions; jdk.incubator.vector
   * left out as in bin/lib/jvm.sh: only MLlib uses it) and DJL offline, no telemetry.
   */
  static void assertHasJvmFlags(String where, String javaOptions) {
    List<String> flags = Arrays.asList(javaOptions.trim().split("\\s+"));
    List<String> wanted = new ArrayList<>();
    for (String option : JavaModuleOptions.defaultModuleOptionArray()) {
      if (!option.equals("--add-modules=jdk.incubator.vector")) {
        wanted.add(option);
      }
    }
    wanted.add("-Dai.djl.offline=true");
    wanted.add("-DOPT_OUT_TRACKING=true");
    List<String> missing = wanted.stream().filter(f -> !flags.contains(f)).toList();
    assertTrue(missing.isEmpty(), where + " lacks " + missing);
  }

  private static SparkDefaults profile(String name) {
    return SparkDefaults.read(ClusterConfigTree.file(name + "/spark-defaults.conf"));
  }

  private static Stream<DynamicTest> perFile(Consumer<SparkDefaults> check) {
    List<Path> files = ClusterConfigTree.sparkDefaultsFiles();
    assertFalse(
        files.isEmpty(), "no spark-defaults.conf under " + ClusterConfigTree.clusterConfig());
    return files.stream()
        .map(
            file ->
                DynamicTest.dynamicTest(
                    ClusterConfigTree.clusterConfig().relativize(file).toString(),
                    () -> {
                      assertTrue(Files.isRegularFile(file));
                      check.accept(SparkDefaults.read(file));
                    }));
  }
}
