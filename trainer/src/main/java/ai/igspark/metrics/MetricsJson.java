package ai.igspark.metrics;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;

/**
 * The one JSON form of {@link MetricsRecord}s: lines of metrics.jsonl and of the live stream,
 * and the pretty lists of {@code eval/step-N/metrics.json}. Readers accept keys they do not know
 * (a newer writer may add some) and the step records of older versions, which named their kind
 * with {@code "type":"step"}.
 */
public final class MetricsJson {
  /** The discriminator of every record. */
  public static final String KIND = "kind";
  /** The discriminator of step records before there was one schema (read, never written). */
  static final String LEGACY_TYPE = "type";

  private static final ObjectMapper JSON =
      JsonMapper.builder().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES).build();
  private static final ObjectWriter WRITER = JSON.writerFor(MetricsRecord.class);
  private static final ObjectWriter LIST_WRITER =
      JSON.writerFor(new TypeReference<List<MetricsRecord>>() {}).withDefaultPrettyPrinter();
  private static final ObjectReader READER = JSON.readerFor(MetricsRecord.class);

  private MetricsJson() {}

  /** {@code record} as one line of JSON (without the newline). */
  public static String line(MetricsRecord record) {
    try {
      return WRITER.writeValueAsString(record);
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException("a metrics record is always serializable: " + record, e);
    }
  }

  /** {@code record} as a JSON object, {@code kind} first. */
  public static ObjectNode tree(MetricsRecord record) {
    try {
      return (ObjectNode) JSON.readTree(line(record));
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException("a metrics line is always JSON: " + record, e);
    }
  }

  /** A pretty-printed JSON list of records (the metrics.json files next to grids). */
  public static byte[] prettyList(List<? extends MetricsRecord> records) {
    try {
      return LIST_WRITER.writeValueAsBytes(records);
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException("metrics records are always serializable", e);
    }
  }

  /** Parses one line; fails on text that is not a JSON object of a known kind. */
  public static MetricsRecord read(String line) throws IOException {
    return fromTree(JSON.readTree(line));
  }

  /** The record {@code node} holds; fails on an object without a known kind. */
  public static MetricsRecord fromTree(JsonNode node) throws IOException {
    return READER.readValue(upgrade(node));
  }

  /**
   * {@code node} with {@code kind} set where an older version wrote {@code "type":"step"}
   * instead; any other node unchanged.
   */
  public static JsonNode upgrade(JsonNode node) {
    if (!(node instanceof ObjectNode old)
        || old.has(KIND)
        || !"step".equals(old.path(LEGACY_TYPE).asText(null))) {
      return node;
    }
    ObjectNode upgraded = JSON.createObjectNode().put(KIND, "step");
    old.properties().forEach(e -> {
      if (!e.getKey().equals(LEGACY_TYPE)) {
        upgraded.set(e.getKey(), e.getValue());
      }
    });
    return upgraded;
  }
}
