package ai.igspark.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import ai.igspark.data.InvalidInputException;
import ai.igspark.data.config.TypedConfig;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * docs/run-config.schema.json: generated from the records, never stale, and a real JSON Schema
 * validator (Debian's python3-jsonschema, draft 2020-12; no Java validator is in the project's
 * Maven cache) accepts every shipped config and its resolved run.yaml, and refuses unknown keys and
 * wrong types.
 */
class RunConfigSchemaTest {
  private static final String PYTHON = "/usr/bin/python3";
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Path ROOT = Path.of(System.getProperty("igspark.project.dir", "."));
  private static final Path SCHEMA = ROOT.resolve("docs/run-config.schema.json");

  @TempDir Path tmp;

  @Test
  void theCommittedSchemaIsTheGeneratedOne() throws Exception {
    assertEquals(RunConfigSchema.json(), Files.readString(SCHEMA, StandardCharsets.UTF_8),
        SCHEMA + " is stale: regenerate it with"
            + " bin/igspark config schema --output docs/run-config.schema.json");
  }

  @Test
  void everyShippedConfigAndItsResolvedRunYamlPassTheSchema() throws Exception {
    Map<String, JsonNode> instances = new LinkedHashMap<>();
    try (Stream<Path> s = Files.list(ROOT.resolve("configs"))) {
      for (Path f : s.filter(p -> p.toString().endsWith(".yaml")).sorted().toList()) {
        JsonNode tree = TypedConfig.readTree(f);
        instances.put(f.getFileName().toString(), tree);
        instances.put(f.getFileName() + " resolved",
            RunConfig.fromTree(tree, f.toString()).toTree());
      }
    }
    assertTrue(instances.size() >= 8, "configs: " + instances.keySet());
    Map<String, List<String>> errors = validate(instances);
    errors.forEach((name, e) -> assertEquals(List.of(), e, name));
  }

  @Test
  void anUnknownKeyOrAWrongTypeFailsTheSchema() throws Exception {
    JsonNode demo = TypedConfig.readTree(ROOT.resolve("configs/demo-fmnist.yaml"));
    ObjectNode unknown = demo.deepCopy();
    ((ObjectNode) unknown.get("train")).put("lr", 1e-4); // belongs under train.optimizer
    ObjectNode wrongType = demo.deepCopy();
    ((ObjectNode) wrongType.get("train")).put("steps", "many");
    ObjectNode badEnum = demo.deepCopy();
    ((ObjectNode) badEnum.get("checkpoint")).putObject("keep_best")
        .put("metric", "fd_fmnist").put("mode", "lowest");

    Map<String, List<String>> errors =
        validate(Map.of("unknown", unknown, "wrong type", wrongType, "bad enum", badEnum));

    assertTrue(errors.get("unknown").toString().contains("'lr' was unexpected"),
        errors.toString());
    assertTrue(errors.get("wrong type").toString().contains("train/steps: 'many' is not of type"),
        errors.toString());
    assertTrue(errors.get("bad enum").toString().contains("checkpoint/keep_best/mode: 'lowest'"),
        errors.toString());
  }

  @Test
  void theSchemasRequiredKeysAreTheOnesTheRecordsRequire() throws Exception {
    ObjectNode full = (ObjectNode) TypedConfig.readTree(ROOT.resolve("configs/demo-fmnist.yaml"));
    ((ObjectNode) full.get("checkpoint")).putObject("keep_best").put("metric", "fd_fmnist");
    RunConfig.fromTree(full, "demo");
    RunConfigSchema.REQUIRED.forEach((section, keys) -> {
      for (String key : keys) {
        ObjectNode without = full.deepCopy();
        JsonNode parent = section.isEmpty() ? without : without.at("/" + section.replace('.', '/'));
        assertTrue(parent.has(key), section + "." + key + " in the demo config");
        ((ObjectNode) parent).remove(key);
        assertThrows(InvalidInputException.class, () -> RunConfig.fromTree(without, "demo"),
            "without " + section + "." + key);
      }
    });
    // Only the required keys (and one of steps/epochs): the records take the rest as defaults.
    ObjectNode minimal = JSON.createObjectNode();
    minimal.putObject("run").put("dir", "runs/x");
    minimal.putObject("data").put("manifest", "d/dataset.json");
    minimal.put("model", "sit-demo");
    minimal.putObject("train").put("epochs", 1).putObject("optimizer").put("name", "muon");
    RunConfig.fromTree(minimal, "minimal");
    assertEquals(List.of(), validate(Map.of("minimal", minimal)).get("minimal"));
  }

  /** Each instance's schema errors ("path: message"), by name. */
  private Map<String, List<String>> validate(Map<String, JsonNode> instances) throws Exception {
    if (!Files.isExecutable(Path.of(PYTHON))) {
      fail(PYTHON + " not found: install Debian's python3 and python3-jsonschema"
          + " (bin/lib/install-test-packages.sh does it as root)");
    }
    List<String> command = new ArrayList<>(List.of(PYTHON,
        ROOT.resolve("trainer/src/test/python/validate_json_schema.py").toString(),
        SCHEMA.toString()));
    Map<String, String> files = new LinkedHashMap<>();
    int i = 0;
    for (var e : instances.entrySet()) {
      Path f = tmp.resolve("instance-" + i++ + ".json");
      Files.writeString(f, JSON.writeValueAsString(e.getValue()));
      files.put(f.toString(), e.getKey());
      command.add(f.toString());
    }
    ProcessBuilder pb = new ProcessBuilder(command);
    pb.environment().put("PYTHONDONTWRITEBYTECODE", "1");
    pb.environment().remove("PYTHONPATH");
    Path out = tmp.resolve("out.json");
    Path err = tmp.resolve("err.txt");
    Process p = pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
    if (!p.waitFor(120, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      fail("validate_json_schema.py did not finish in 120 s");
    }
    String stderr = Files.readString(err);
    if (stderr.contains("No module named 'jsonschema'")) {
      fail("install Debian's python3-jsonschema (bin/lib/install-test-packages.sh)\n" + stderr);
    }
    assertEquals(0, p.exitValue(), stderr);
    Map<String, List<String>> errors = new LinkedHashMap<>();
    JSON.readTree(out.toFile()).fields().forEachRemaining(e -> {
      List<String> list = new ArrayList<>();
      e.getValue().forEach(m -> list.add(m.asText()));
      errors.put(files.get(e.getKey()), list);
    });
    return errors;
  }
}
