package ai.igspark.clusterconfig;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.SparkConf;
import org.apache.spark.internal.config.ConfigEntry;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** cluster-config/k8s: the Spark operator's SparkApplication and the executor pod template. */
class KubernetesManifestsTest {
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
  private static JsonNode application;
  private static JsonNode podTemplate;
  private static SparkDefaults k8sDefaults;

  @BeforeAll
  static void readManifests() throws IOException {
    application = YAML.readTree(ClusterConfigTree.file("k8s/sparkapplication.yaml").toFile());
    podTemplate = YAML.readTree(ClusterConfigTree.file("k8s/executor-pod-template.yaml").toFile());
    k8sDefaults = SparkDefaults.read(ClusterConfigTree.file("k8s/spark-defaults.conf"));
  }

  @Test
  void sparkApplicationHasTheOperatorsRequiredFields() {
    assertEquals("sparkoperator.k8s.io/v1beta2", text(application, "apiVersion"));
    assertEquals("SparkApplication", text(application, "kind"));
    assertFalse(text(application, "metadata", "name").isBlank());
    JsonNode spec = application.get("spec");
    assertEquals("Java", text(spec, "type"));
    assertEquals("cluster", text(spec, "mode"));
    assertFalse(text(spec, "image").isBlank());
    assertEquals("4.2.0", text(spec, "sparkVersion"));
    assertTrue(text(spec, "mainApplicationFile").startsWith("local:///"));
    for (String role : List.of("driver", "executor")) {
      assertTrue(spec.get(role).isObject(), "spec." + role);
      assertTrue(spec.get(role).get("cores").asInt() >= 1, "spec." + role + ".cores");
      assertFalse(text(spec, role, "memory").isBlank());
    }
    assertFalse(text(spec, "driver", "serviceAccount").isBlank());
    assertTrue(spec.get("executor").get("instances").asInt() >= 1);
  }

  @Test
  void sparkApplicationRunsIgsparkTrainWithAConfig() throws ClassNotFoundException {
    JsonNode spec = application.get("spec");
    // The class must exist: a renamed CLI entry point breaks the manifest.
    Class.forName(text(spec, "mainClass"));
    assertEquals("ai.igspark.cli.Igspark", text(spec, "mainClass"));
    List<String> arguments = new ArrayList<>();
    spec.get("arguments").forEach(a -> arguments.add(a.asText()));
    assertEquals(List.of("train", "--config"), arguments.subList(0, 2), "arguments " + arguments);
    assertEquals(3, arguments.size(), "arguments " + arguments);
  }

  @Test
  void sparkApplicationRestartsOnFailureWithoutDynamicAllocation() {
    JsonNode spec = application.get("spec");
    assertEquals("OnFailure", text(spec, "restartPolicy", "type"));
    assertTrue(spec.get("restartPolicy").get("onFailureRetries").asInt() >= 1);
    assertFalse(spec.get("dynamicAllocation").get("enabled").asBoolean(true));
    assertEquals("false", sparkConf().get("spark.dynamicAllocation.enabled"));
  }

  @Test
  void sparkApplicationSparkConfNamesOnlyKeysSparkKnowsWithValidValues() {
    SparkConfigKeys keys = SparkConfigKeys.load();
    for (Map.Entry<String, String> property : sparkConf().entrySet()) {
      assertTrue(keys.knows(property.getKey()), "unknown key " + property.getKey());
      ConfigEntry<?> entry = ConfigEntry.findEntry(property.getKey());
      if (entry != null) {
        new SparkConf(false).set(property.getKey(), property.getValue()).get(entry);
      }
    }
  }

  @Test
  void sparkApplicationGivesOneTaskAllGpusAndCoresOfItsExecutor() {
    Map<String, String> conf = sparkConf();
    JsonNode executor = application.get("spec").get("executor");
    assertEquals(executor.get("cores").asText(), conf.get("spark.task.cpus"));
    assertEquals(
        conf.get("spark.executor.resource.gpu.amount"), conf.get("spark.task.resource.gpu.amount"));
    assertEquals("nvidia.com", conf.get("spark.executor.resource.gpu.vendor"));
    assertTrue(
        conf.get("spark.executor.resource.gpu.discoveryScript")
            .endsWith("/cluster-config/gpu/discover-gpus.sh"));
    assertEquals("1.0", conf.get("spark.scheduler.minRegisteredResourcesRatio"));
  }

  @Test
  void sparkApplicationKeepsDjlOfflineInDriverAndExecutors() {
    for (String role : List.of("driver", "executor")) {
      JsonNode pod = application.get("spec").get(role);
      SparkDefaultsTemplatesTest.assertHasJvmFlags(
          "spec." + role + ".javaOptions", text(pod, "javaOptions"));
      List<String> env = new ArrayList<>();
      pod.get("env").forEach(e -> env.add(e.get("name").asText() + "=" + e.get("value").asText()));
      assertTrue(env.contains("OPT_OUT_TRACKING=true"), role + " env " + env);
      assertTrue(env.contains("DJL_OFFLINE=true"), role + " env " + env);
    }
  }

  @Test
  void podTemplateLimitsAsManyGpusAsTheProfileAsks() {
    assertEquals("v1", text(podTemplate, "apiVersion"));
    assertEquals("Pod", text(podTemplate, "kind"));
    JsonNode container = podTemplate.get("spec").get("containers").get(0);
    assertEquals(
        k8sDefaults.get("spark.executor.resource.gpu.amount"),
        text(container, "resources", "limits", "nvidia.com/gpu"));
    assertEquals(
        sparkConf().get("spark.executor.resource.gpu.amount"),
        text(container, "resources", "limits", "nvidia.com/gpu"));
  }

  @Test
  void podTemplateToleratesGpuTaints() {
    JsonNode tolerations = podTemplate.get("spec").get("tolerations");
    assertTrue(tolerations.isArray() && !tolerations.isEmpty(), "spec.tolerations");
    assertEquals("nvidia.com/gpu", text(tolerations.get(0), "key"));
  }

  private static Map<String, String> sparkConf() {
    Map<String, String> conf = new LinkedHashMap<>();
    application.get("spec").get("sparkConf").fields()
        .forEachRemaining(f -> conf.put(f.getKey(), f.getValue().asText()));
    return conf;
  }

  /** The text at a path of field names; fails naming the path when it is missing. */
  private static String text(JsonNode node, String... path) {
    JsonNode at = node;
    for (String field : path) {
      at = at == null ? null : at.get(field);
    }
    if (at == null || at.isNull() || at.isContainerNode()) {
      throw new AssertionError("missing " + String.join(".", path));
    }
    return at.asText();
  }
}
