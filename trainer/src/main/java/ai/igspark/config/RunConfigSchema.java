package ai.igspark.config;

import ai.igspark.data.config.TypedConfig;
import ai.igspark.model.ModelConfig;
import ai.igspark.model.Presets;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.BeanDescription;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.introspect.BeanPropertyDefinition;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.UncheckedIOException;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * The JSON Schema (draft 2020-12) of run.yaml, generated from the records {@link RunConfig} is
 * read into (docs/run-config.schema.json; {@code igspark config schema} prints it). Property
 * names and types come from Jackson's view of the records, the one {@link TypedConfig} reads with:
 * integers, numbers, booleans, strings, enums with their config spellings, lists, nested records
 * as objects without other keys. Defaults are those of the resolved configuration ({@link
 * RunConfig#toTree()}) of minimal configs, where they do not depend on other keys. The required
 * keys, which the records' constructors enforce, are listed here and checked against them by the
 * tests. Rules across keys (e.g. {@code eval.reference} when {@code eval.every_steps > 0}, a
 * {@code keep_best} metric the evaluation produces) stay with the constructors.
 */
public final class RunConfigSchema {
  public static final String DRAFT = "https://json-schema.org/draft/2020-12/schema";

  /** Required keys per section path ("" is the top level). */
  static final Map<String, List<String>> REQUIRED = Map.of(
      "", List.of("run", "data", "model", "train"),
      "run", List.of("dir"),
      "data", List.of("manifest"),
      "train.optimizer", List.of("name"),
      "checkpoint.keep_best", List.of("metric"));
  /** Sections in which exactly one of these keys is given. */
  static final Map<String, List<String>> EXACTLY_ONE = Map.of("train", List.of("steps", "epochs"));

  private static final ObjectMapper JSON =
      JsonMapper.builder().enable(SerializationFeature.INDENT_OUTPUT).build();

  private final ObjectMapper mapper = TypedConfig.mapper();
  private final List<JsonNode[]> variants;

  private RunConfigSchema() {
    // Two minimal configs that differ in every key they give (and in the optimizer, whose
    // defaults depend on its name): a value both resolve to alike is a default.
    this.variants = List.of(resolved("a", 1, "adamw"), resolved("b", 2, "muon"));
  }

  private JsonNode[] resolved(String name, long steps, String optimizer) {
    ObjectNode tree = mapper.createObjectNode();
    tree.putObject("run").put("dir", "runs/" + name);
    tree.putObject("data").put("manifest", name + "/dataset.json");
    tree.put("model", "sit-demo");
    tree.putObject("train").put("steps", steps).putObject("optimizer").put("name", optimizer);
    return new JsonNode[] {tree, RunConfig.fromTree(tree, "schema defaults").toTree()};
  }

  /** The schema as a tree. */
  public static ObjectNode generate() {
    RunConfigSchema g = new RunConfigSchema();
    ObjectNode root = JSON.createObjectNode();
    root.put("$schema", DRAFT);
    root.put("title", "igspark run configuration (run.yaml)");
    root.put("description", "Generated from the records of ai.igspark.config.RunConfig by"
        + " RunConfigSchema (igspark config schema); do not edit. docs/checkpoints.md and"
        + " docs/CONFIG-KEYS.md describe the keys.");
    root.setAll(g.record(g.mapper.constructType(RunConfig.class), ""));
    return root;
  }

  /** The schema as docs/run-config.schema.json holds it: pretty JSON and a final newline. */
  public static String json() {
    try {
      return JSON.writeValueAsString(generate()) + "\n";
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException("a schema tree is always JSON", e);
    }
  }

  private ObjectNode record(JavaType type, String path) {
    ObjectNode s = JSON.createObjectNode();
    s.put("type", "object");
    ObjectNode properties = s.putObject("properties");
    BeanDescription bean = mapper.getDeserializationConfig().introspect(type);
    List<String> required = REQUIRED.getOrDefault(path, List.of());
    for (BeanPropertyDefinition p : bean.findProperties()) {
      String key = path.isEmpty() ? p.getName() : path + "." + p.getName();
      JavaType t = p.getPrimaryType();
      ObjectNode property = value(t, key);
      if (!required.contains(p.getName()) && !t.isPrimitive()) {
        nullable(property); // TypedConfig reads null as absent: the default applies
      }
      JsonNode d = defaultAt(key);
      if (d != null) {
        property.set("default", d);
      }
      properties.set(p.getName(), property);
    }
    if (!required.isEmpty()) {
      ArrayNode r = s.putArray("required");
      required.forEach(r::add);
    }
    List<String> one = EXACTLY_ONE.get(path);
    if (one != null) {
      ArrayNode oneOf = s.putArray("oneOf");
      for (String k : one) {
        oneOf.addObject().putArray("required").add(k);
      }
    }
    s.put("additionalProperties", false);
    return s;
  }

  private ObjectNode value(JavaType t, String key) {
    ObjectNode s = JSON.createObjectNode();
    Class<?> c = t.getRawClass();
    if (key.equals("model") && JsonNode.class.isAssignableFrom(c)) {
      return model();
    } else if (c.isRecord()) {
      return record(t, key);
    } else if (c.isEnum()) {
      s.put("type", "string");
      ArrayNode values = s.putArray("enum");
      for (Object constant : c.getEnumConstants()) {
        // Enums without a config spelling of their own are written in lower case in configs
        // (TypedConfig reads enum names case-insensitively).
        String spelt = mapper.valueToTree(constant).asText();
        values.add(spelt.equals(((Enum<?>) constant).name()) ? spelt.toLowerCase() : spelt);
      }
    } else if (t.isCollectionLikeType()) {
      s.put("type", "array");
      s.set("items", value(t.getContentType(), key + "[]"));
    } else if (c == Integer.class || c == int.class || c == Long.class || c == long.class) {
      s.put("type", "integer");
    } else if (c == Double.class || c == double.class || c == Float.class || c == float.class) {
      s.put("type", "number");
    } else if (c == Boolean.class || c == boolean.class) {
      s.put("type", "boolean");
    } else if (c == String.class) {
      s.put("type", "string");
    } else {
      throw new IllegalStateException(key + ": no schema for " + t);
    }
    return s;
  }

  /** {@code model}: a preset name, or {@code {preset, overrides…}}, or every model key. */
  private ObjectNode model() {
    ObjectNode s = JSON.createObjectNode();
    ArrayNode oneOf = s.putArray("oneOf");
    ObjectNode name = oneOf.addObject().put("type", "string");
    presets(name.putArray("enum"));
    ObjectNode keys = record(mapper.constructType(ModelConfig.class), "model");
    ObjectNode preset = JSON.createObjectNode().put("type", "string");
    presets(preset.putArray("enum"));
    ObjectNode properties = JSON.createObjectNode();
    properties.set("preset", preset);
    properties.setAll((ObjectNode) keys.get("properties"));
    keys.set("properties", properties);
    oneOf.add(keys);
    return s;
  }

  private static void presets(ArrayNode into) {
    Presets.all().keySet().forEach(into::add);
  }

  private static void nullable(ObjectNode property) {
    JsonNode type = property.get("type");
    if (type != null && type.isTextual()) {
      property.putArray("type").add(type.asText()).add("null");
      JsonNode values = property.get("enum");
      if (values instanceof ArrayNode a) {
        a.addNull();
      }
    } else if (property.has("oneOf")) {
      ((ArrayNode) property.get("oneOf")).addObject().put("type", "null");
    }
  }

  /** The default of {@code key}: resolved alike by every variant that does not give it. */
  private JsonNode defaultAt(String key) {
    if (key.startsWith("model") || key.contains("[]")) {
      return null;
    }
    String pointer = "/" + key.replace('.', '/');
    JsonNode value = null;
    for (JsonNode[] v : variants) {
      JsonNode given = v[0].at(pointer);
      JsonNode resolved = v[1].at(pointer);
      if (!given.isMissingNode() || resolved.isMissingNode() || resolved.isNull()
          || resolved.isObject() || value != null && !same(value, resolved)) {
        return null;
      }
      value = resolved;
    }
    return value;
  }

  private static boolean same(JsonNode a, JsonNode b) {
    return a.isNumber() && b.isNumber()
        ? a.decimalValue().compareTo(b.decimalValue()) == 0
        : a.equals(b);
  }

  /** The required keys of {@code path} (for the tests that check them against the records). */
  static Collection<String> required(String path) {
    return REQUIRED.getOrDefault(path, List.of());
  }
}
