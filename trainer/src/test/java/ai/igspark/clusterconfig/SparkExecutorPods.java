package ai.igspark.clusterconfig;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.jdkhttp.JdkHttpClientFactory;
import java.nio.file.Path;
import java.util.Map;
import org.apache.spark.SecurityManager;
import org.apache.spark.SecurityManager$;
import org.apache.spark.SparkConf;
import org.apache.spark.deploy.k8s.Config$;
import org.apache.spark.deploy.k8s.KubernetesConf$;
import org.apache.spark.deploy.k8s.KubernetesExecutorConf;
import org.apache.spark.deploy.k8s.KubernetesUtils$;
import org.apache.spark.deploy.k8s.SparkPod;
import org.apache.spark.resource.ResourceProfile;
import org.apache.spark.resource.ResourceProfile$;
import org.apache.spark.scheduler.cluster.k8s.KubernetesExecutorBuilder;
import scala.Option;

/**
 * Executor pods made by Spark 4.2's own Kubernetes code, with no cluster: the pod template read by
 * {@code KubernetesUtils.loadPodFromTemplate} (fabric8's parser, as the driver does), and the
 * executor pod built by {@code KubernetesExecutorBuilder}'s feature steps from a SparkConf, as the
 * driver does before it asks the API server for the pod.
 *
 * <p>Spark wants a {@link KubernetesClient} for both, but only to parse the template file: the
 * client here points at a closed port on 127.0.0.1 and is never asked to connect (fabric8's JDK
 * HTTP client opens nothing until a request is made).
 */
final class SparkExecutorPods implements AutoCloseable {
  private final KubernetesClient client;

  SparkExecutorPods() {
    // Config.empty(): no kubeconfig, service account or environment is read.
    Config config = new ConfigBuilder(Config.empty()).withMasterUrl("https://127.0.0.1:9/").build();
    client = new KubernetesClientBuilder()
        .withConfig(config)
        .withHttpClientFactory(new JdkHttpClientFactory())
        .build();
  }

  /** A SparkConf holding exactly these properties (no system properties). */
  static SparkConf conf(Map<String, String> properties) {
    SparkConf conf = new SparkConf(false);
    properties.forEach(conf::set);
    return conf;
  }

  /**
   * The template as Spark reads it: the pod without the executor's container, and that container,
   * picked by {@code spark.kubernetes.executor.podTemplateContainerName} when conf sets it.
   */
  SparkPod loadTemplate(Path template, SparkConf conf) {
    Option<String> containerName =
        conf.getOption(Config$.MODULE$.KUBERNETES_EXECUTOR_PODTEMPLATE_CONTAINER_NAME().key());
    return KubernetesUtils$.MODULE$.loadPodFromTemplate(
        client, template.toString(), containerName, conf);
  }

  /**
   * Executor 1's pod as the driver builds it from conf (its pod template included, when conf names
   * one), for the default resource profile Spark derives from conf: executor cores, memory and
   * overhead, and {@code spark.executor.resource.*} (the GPUs).
   */
  SparkPod buildExecutor(SparkConf conf) {
    // The default profile is cached JVM-wide; drop any earlier one so this conf's is used, and drop
    // this one after so that later Spark contexts in the JVM make their own.
    ResourceProfile$.MODULE$.clearDefaultProfile();
    try {
      ResourceProfile profile = ResourceProfile$.MODULE$.getOrCreateDefaultProfile(conf);
      KubernetesExecutorConf executorConf = KubernetesConf$.MODULE$.createExecutorConf(
          conf, "1", "spark-igspark-test", Option.empty(), profile.id());
      SecurityManager security = new SecurityManager(
          conf, Option.empty(), SecurityManager$.MODULE$.$lessinit$greater$default$3());
      return new KubernetesExecutorBuilder()
          .buildFromFeatures(executorConf, security, client, profile)
          .pod();
    } finally {
      ResourceProfile$.MODULE$.clearDefaultProfile();
    }
  }

  @Override
  public void close() {
    client.close();
  }
}
