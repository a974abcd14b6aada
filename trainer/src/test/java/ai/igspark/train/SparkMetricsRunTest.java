package ai.igspark.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.igspark.ckpt.RunDirectory;
import ai.igspark.config.RunConfig;
import ai.igspark.metrics.EvalRecord;
import ai.igspark.spark.ListeningSockets;
import ai.igspark.spark.SparkContexts;
import ai.igspark.spark.metrics.TrainingMetricsPlugin;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A training run's scalars reach Spark's metrics system through {@code TrainingMetricsPlugin}:
 * Spark's own Prometheus servlet, on a web UI bound to loopback, serves them under the names
 * Spark gives plugin metrics (docs/METRICS.md §8).
 */
class SparkMetricsRunTest {
  private static final String SERVLET = "/metrics/prometheus";

  @TempDir static Path dir;
  private static JavaSparkContext sc;
  private static Path run;

  @BeforeAll
  static void trainFourSteps() throws Exception {
    sc = SparkContexts.builder().master("local[1]")
        .set("spark.ui.port", "0") // ephemeral
        .set("spark.metrics.conf.*.sink.prometheusServlet.class",
            "org.apache.spark.metrics.sink.PrometheusServlet")
        .set("spark.metrics.conf.*.sink.prometheusServlet.path", SERVLET)
        .start();
    run = dir.resolve("run");
    Path config = TinyRun.config(dir, "prom", run.toString(), TinyRun.dataset(dir), 4, 2, 1);
    new TrainDriver(RunConfig.load(config), config.toString(), Set.of(),
        new PrintStream(new ByteArrayOutputStream())).run(sc, false);
  }

  @AfterAll
  static void stop() {
    WarmCache.clear();
    if (sc != null) {
      sc.stop();
    }
  }

  /** The UI's port, from the URL Spark reports (its host part is the public name, not the bind). */
  private static int uiPort() {
    return URI.create(sc.sc().uiWebUrl().get()).getPort();
  }

  /** Prometheus name → value, scraped over HTTP from 127.0.0.1 (Jetty redirects to the "/"). */
  private static Map<String, String> scrape() throws IOException, InterruptedException {
    HttpResponse<String> r = HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + uiPort() + SERVLET + "/")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode(), r.body());
    Map<String, String> samples = new HashMap<>();
    for (String line : r.body().split("\n")) {
      // metrics_<name>_Value{type="gauges"} 0.5
      String[] nameValue = line.split(" ");
      if (nameValue.length == 2) {
        samples.put(nameValue[0].replaceFirst("\\{.*}$", ""), nameValue[1]);
      }
    }
    return samples;
  }

  /** What Spark names gauge {@code gauge} of the plugin: source plugin.<class> of the driver. */
  private static String sparkName(String gauge) {
    String key = sc.sc().applicationId() + ".driver.plugin."
        + TrainingMetricsPlugin.class.getName() + "." + gauge;
    return "metrics_" + key.replaceAll("[^a-zA-Z0-9]", "_") + "_Value";
  }

  private static JsonNode last(String kind) throws IOException {
    List<JsonNode> records = RunDirectory.open(run.toString(), new Configuration()).readMetrics()
        .stream().filter(m -> m.get("kind").asText().equals(kind)).toList();
    return records.get(records.size() - 1);
  }

  private static void assertGauge(Map<String, String> samples, String gauge, double expected) {
    String name = sparkName(gauge);
    assertTrue(samples.containsKey(name), name + " not among " + samples.keySet());
    assertEquals(expected, Double.parseDouble(samples.get(name)), gauge);
  }

  @Test
  void theGaugesHoldTheLastTrainAndSegmentRecords() throws Exception {
    Map<String, String> samples = scrape();
    JsonNode train = last("train");
    assertEquals(4, train.get("step").asLong());
    for (String key : List.of("step", "epoch", "loss", "loss_final", "loss_ig", "loss_cos",
        "grad_norm", "lr", "samples_per_s", "skipped_steps", "world_size")) {
      assertGauge(samples, key, train.get(key).asDouble());
    }
    JsonNode segment = last("segment");
    assertGauge(samples, "segment", segment.get("segment").asDouble());
    assertGauge(samples, "segment_seconds", segment.get("seconds").asDouble());
    assertGauge(samples, "segment_commit_seconds", segment.get("commit_seconds").asDouble());
    assertGauge(samples, "retries", 0);
  }

  @Test
  void anEvaluationMetricIsServedOnceItFirstAppears() throws Exception {
    assertFalse(scrape().containsKey(sparkName("eval_fd_fmnist")));
    // The record the driver appends after an evaluation, handed to the driver's listener.
    TrainingMetricsPlugin.listenerFor(sc.sc()).accept(new EvalRecord(4, EvalRecord.FD_FMNIST,
        12.5, null, null, 3.25, null, null, null, null, null, null, null, null, null, 1.0, null,
        "t"));
    Map<String, String> samples = scrape();
    assertGauge(samples, "eval_fd_fmnist", 12.5);
    assertGauge(samples, "eval_classifier_score", 3.25);
    assertGauge(samples, "eval_step", 4);
  }

  @Test
  void theWebUiServingTheMetricsListensOnLoopbackOnly() throws IOException {
    List<InetSocketAddress> ui = ListeningSockets.of(ProcessHandle.current().pid()).stream()
        .filter(a -> a.getPort() == uiPort()).toList();
    assertFalse(ui.isEmpty(), "no listening socket on the UI's port " + uiPort());
    for (InetSocketAddress a : ui) {
      assertEquals(InetAddress.getByName("127.0.0.1"), a.getAddress(), a.toString());
    }
  }
}
