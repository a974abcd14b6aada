package ai.igspark.clusterconfig;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * k8s/sparkapplication.yaml against the part of the Spark operator's SparkApplication schema
 * (sparkoperator.k8s.io/v1beta2) that igspark restates in
 * {@code sparkapplication-v1beta2-subset.schema.json} (its {@code $comment} says from what: no
 * registry here serves the operator's CRD), checked by a real JSON Schema validator, Debian's
 * python3-jsonschema. No API server or operator runs.
 */
class SparkApplicationSchemaTest {
  private static final String PYTHON = "/usr/bin/python3";
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path tmp;

  @Test
  void theManifestPassesTheOperatorsSchema() throws Exception {
    assertEquals(List.of(), schemaErrors(manifest()));
  }

  @Test
  void aMisspeltFieldFailsTheSchema() throws Exception {
    assertRefused("spec/restartPolicy:", "onFailureRetry",
        app -> ((ObjectNode) app.get("spec").get("restartPolicy")).put("onFailureRetry", 3));
  }

  @Test
  void aMisspeltExecutorFieldFailsTheSchema() throws Exception {
    assertRefused("spec/executor:", "instance",
        app -> ((ObjectNode) app.get("spec").get("executor")).put("instance", 4));
  }

  @Test
  void aSparkConfValueThatIsNotAStringFailsTheSchema() throws Exception {
    // What an unquoted `spark.task.cpus: 8` reads as: the CRD holds sparkConf as strings only.
    assertRefused("spec/sparkConf/spark.task.cpus:", "8",
        app -> ((ObjectNode) app.get("spec").get("sparkConf")).put("spark.task.cpus", 8));
  }

  /** The manifest, changed, fails with an error at path that mentions the word. */
  private void assertRefused(String path, String mentioning, Consumer<ObjectNode> change)
      throws Exception {
    ObjectNode app = manifest();
    change.accept(app);
    List<String> errors = schemaErrors(app);
    assertTrue(errors.stream().anyMatch(e -> e.startsWith(path) && e.contains(mentioning)),
        "no error at " + path + " mentioning " + mentioning + ": " + errors);
  }

  private static ObjectNode manifest() throws IOException {
    return (ObjectNode) YAML.readTree(
        ClusterConfigTree.file("k8s/sparkapplication.yaml").toFile());
  }

  /** The validator's errors for this manifest ("path: message"); none when it passes. */
  private List<String> schemaErrors(JsonNode app) throws Exception {
    if (!Files.isExecutable(Path.of(PYTHON))) {
      fail(PYTHON + " not found: install Debian's python3 and python3-jsonschema"
          + " (bin/lib/install-test-packages.sh does it as root)");
    }
    Path schema = tmp.resolve("schema.json");
    try (var in = SparkApplicationSchemaTest.class.getResourceAsStream(
        "sparkapplication-v1beta2-subset.schema.json")) {
      Files.copy(in, schema);
    }
    Path instance = tmp.resolve("sparkapplication.json");
    JSON.writeValue(instance.toFile(), app);
    Path script = ClusterConfigTree.projectDir()
        .resolve("trainer/src/test/python/validate_json_schema.py");
    ProcessBuilder pb = new ProcessBuilder(PYTHON, script.toString(), schema.toString(),
        instance.toString());
    pb.environment().put("PYTHONDONTWRITEBYTECODE", "1");
    pb.environment().remove("PYTHONPATH");
    Path out = tmp.resolve("errors.json");
    Path err = tmp.resolve("stderr.txt");
    Process p = pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      fail("validate_json_schema.py did not finish in 60 s");
    }
    String stderr = Files.readString(err, StandardCharsets.UTF_8);
    if (stderr.contains("No module named 'jsonschema'")) {
      fail("install Debian's python3-jsonschema (bin/lib/install-test-packages.sh)\n" + stderr);
    }
    assertEquals(0, p.exitValue(), stderr);
    List<String> errors = new ArrayList<>();
    JSON.readTree(out.toFile()).get(instance.toString()).forEach(e -> errors.add(e.asText()));
    return errors;
  }
}
