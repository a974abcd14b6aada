package ai.igspark.clusterconfig;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Toleration;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.SparkConf;
import org.apache.spark.deploy.k8s.SparkPod;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * cluster-config/k8s's executor pod, read and built by Spark 4.2's Kubernetes module itself
 * ({@link SparkExecutorPods}): the pod template of the spark-submit route (k8s/spark-defaults.conf
 * naming executor-pod-template.yaml) and the operator route (sparkapplication.yaml's
 * {@code spec.executor.template}, written to a file as the operator does). No cluster is involved.
 */
class ExecutorPodTemplateTest {
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
  private static final String GPU = "nvidia.com/gpu";

  private static SparkExecutorPods pods;
  private static SparkDefaults profile;
  private static Path template;

  @TempDir Path tmp;

  @BeforeAll
  static void readProfile() {
    pods = new SparkExecutorPods();
    profile = SparkDefaults.read(ClusterConfigTree.file("k8s/spark-defaults.conf"));
    template = ClusterConfigTree.file("k8s/executor-pod-template.yaml");
  }

  @AfterAll
  static void closeClient() {
    pods.close();
  }

  @Test
  void sparkPicksTheTemplateContainerTheProfileNames() {
    String name = profile.get("spark.kubernetes.executor.podTemplateContainerName");
    Pod asWritten = YAML.convertValue(readYaml(template), Pod.class);
    // Spark falls back to the first container when the name matches none, so the name must match
    // exactly one for the setting to mean anything.
    assertEquals(1, asWritten.getSpec().getContainers().stream()
        .filter(c -> c.getName().equals(name)).count(), "containers named " + name);

    SparkPod read = pods.loadTemplate(template, profileConf());
    assertEquals(name, read.container().getName());
    assertEquals(List.of(), read.pod().getSpec().getContainers(),
        "containers besides the executor's");
  }

  @Test
  void templateAsSparkReadsItLimitsTheProfilesGpus() {
    Container executor = pods.loadTemplate(template, profileConf()).container();
    assertEquals(profileGpus(), executor.getResources().getLimits().get(GPU));
  }

  @Test
  void templateAsSparkReadsItToleratesTheGpuTaint() {
    assertTolerates(pods.loadTemplate(template, profileConf()).pod());
  }

  @Test
  void templateAsSparkReadsItMountsAMemoryBackedDevShm() {
    assertDevShm(pods.loadTemplate(template, profileConf()));
  }

  @Test
  void executorPodBuiltFromTheProfileAsksForTheTemplatesGpusAndKeepsItsPod() {
    SparkPod built = pods.buildExecutor(profileConf());
    Container executor = built.container();
    assertEquals(profile.get("spark.kubernetes.executor.podTemplateContainerName"),
        executor.getName());
    // Spark writes its own nvidia.com/gpu limit (spark.executor.resource.gpu.amount with vendor
    // nvidia.com) over the template's: the two must say the same.
    Quantity templateGpus = pods.loadTemplate(template, profileConf()).container()
        .getResources().getLimits().get(GPU);
    assertEquals(templateGpus, executor.getResources().getLimits().get(GPU));
    assertEquals(profileGpus(), executor.getResources().getLimits().get(GPU));
    assertEquals(new Quantity(profile.get("spark.kubernetes.executor.request.cores")),
        executor.getResources().getRequests().get("cpu"));
    assertMemory(profile.get("spark.executor.memory"), profile.get("spark.executor.memoryOverhead"),
        executor);
    assertEquals(profile.get("spark.kubernetes.container.image"), executor.getImage());
    assertTolerates(built.pod());
    assertDevShm(built);
    assertEnv(executor, "OPT_OUT_TRACKING", "true");
    assertEnv(executor, "DJL_OFFLINE", "true");
  }

  @Test
  void executorPodBuiltFromTheSparkApplicationAsksForItsGpusAndKeepsItsTemplate()
      throws IOException {
    JsonNode spec = readYaml(ClusterConfigTree.file("k8s/sparkapplication.yaml")).get("spec");
    JsonNode executorSpec = spec.get("executor");
    // What the operator passes to spark-submit for the fields the manifest uses: sparkConf as it
    // is, the executor's fields as their spark.* keys, and the template written to a file.
    Path templateFile = tmp.resolve("executor-template.yaml");
    YAML.writeValue(templateFile.toFile(), executorSpec.get("template"));
    Map<String, String> properties = new LinkedHashMap<>();
    spec.get("sparkConf").fields()
        .forEachRemaining(f -> properties.put(f.getKey(), f.getValue().asText()));
    properties.put("spark.kubernetes.container.image", spec.get("image").asText());
    properties.put("spark.executor.cores", executorSpec.get("cores").asText());
    properties.put("spark.executor.memory", executorSpec.get("memory").asText());
    properties.put("spark.executor.memoryOverhead", executorSpec.get("memoryOverhead").asText());
    properties.put("spark.executor.instances", executorSpec.get("instances").asText());
    properties.put("spark.kubernetes.executor.podTemplateFile", templateFile.toString());
    properties.putAll(loopbackDriver());
    SparkConf conf = SparkExecutorPods.conf(properties);

    SparkPod built = pods.buildExecutor(conf);
    Container executor = built.container();
    assertEquals("executor", executor.getName());
    Quantity gpus = new Quantity(properties.get("spark.executor.resource.gpu.amount"));
    assertEquals(gpus, executor.getResources().getLimits().get(GPU));
    assertEquals(gpus,
        pods.loadTemplate(templateFile, conf).container().getResources().getLimits().get(GPU),
        "the template's limit");
    assertEquals(gpus, profileGpus(), "the spark-submit route's GPUs");
    assertMemory(executorSpec.get("memory").asText(), executorSpec.get("memoryOverhead").asText(),
        executor);
    assertTolerates(built.pod());
    assertDevShm(built);
  }

  @Test
  void sparkApplicationTemplateIsTheSpecOfThePodTemplateFile() {
    JsonNode manifestTemplate =
        readYaml(ClusterConfigTree.file("k8s/sparkapplication.yaml")).get("spec").get("executor")
            .get("template");
    JsonNode file = readYaml(template);
    assertEquals(file.get("spec"), manifestTemplate.get("spec"));
    assertEquals(file.get("metadata"), manifestTemplate.get("metadata"));
  }

  /** The profile as the driver sees it, with the checkout's template and a driver on loopback. */
  private static SparkConf profileConf() {
    Map<String, String> properties = new LinkedHashMap<>(profile.properties());
    // The profile names the template's path in the image; this is the same file in the checkout.
    properties.put("spark.kubernetes.executor.podTemplateFile", template.toString());
    properties.putAll(loopbackDriver());
    return SparkExecutorPods.conf(properties);
  }

  /** The driver address the executor is told (no name lookup of this host). */
  private static Map<String, String> loopbackDriver() {
    return Map.of("spark.driver.host", "127.0.0.1", "spark.driver.port", "7078");
  }

  private static Quantity profileGpus() {
    return new Quantity(profile.get("spark.executor.resource.gpu.amount"));
  }

  private static void assertTolerates(Pod pod) {
    Toleration expected = new Toleration("NoSchedule", GPU, "Exists", null, null);
    assertTrue(pod.getSpec().getTolerations().contains(expected),
        "tolerations " + pod.getSpec().getTolerations());
  }

  /** A memory-backed emptyDir volume mounted at /dev/shm in the executor's container. */
  private static void assertDevShm(SparkPod pod) {
    VolumeMount mount = pod.container().getVolumeMounts().stream()
        .filter(m -> m.getMountPath().equals("/dev/shm")).findFirst()
        .orElseThrow(() ->
            new AssertionError("no /dev/shm in " + pod.container().getVolumeMounts()));
    Volume volume = pod.pod().getSpec().getVolumes().stream()
        .filter(v -> v.getName().equals(mount.getName())).findFirst()
        .orElseThrow(() -> new AssertionError("no volume " + mount.getName()));
    assertEquals("Memory", volume.getEmptyDir().getMedium(), "volume " + volume.getName());
  }

  /** The container's memory request and limit are heap plus overhead (Spark's sizes, in MiB). */
  private static void assertMemory(String heap, String overhead, Container executor) {
    long mebibytes = mebibytes(heap) + mebibytes(overhead);
    Quantity expected = new Quantity(mebibytes + "Mi");
    assertEquals(expected, executor.getResources().getRequests().get("memory"));
    assertEquals(expected, executor.getResources().getLimits().get("memory"));
  }

  private static long mebibytes(String size) {
    return org.apache.spark.network.util.JavaUtils.byteStringAsMb(size);
  }

  private static void assertEnv(Container executor, String name, String value) {
    List<EnvVar> env = executor.getEnv();
    assertTrue(env.stream().anyMatch(e -> e.getName().equals(name) && value.equals(e.getValue())),
        name + "=" + value + " in " + env);
  }

  private static JsonNode readYaml(Path file) {
    try {
      return YAML.readTree(file.toFile());
    } catch (IOException e) {
      throw new AssertionError("cannot read " + file, e);
    }
  }
}
