package ai.igspark.data.config;

import ai.igspark.data.InvalidInputException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.Map;

/**
 * Finds a key written twice in one mapping of a YAML or JSON text, with the lines of both. A
 * token-level pass: the parsed tree has already kept only the last value.
 */
final class DuplicateKeys {
  private DuplicateKeys() {}

  /** One open mapping: its key path and the line of each key seen so far. */
  private record Mapping(String path, Map<String, Integer> lines) {}

  static void check(ObjectMapper mapper, String text, String source) throws IOException {
    Deque<Mapping> open = new ArrayDeque<>();
    String pendingKey = null;
    try (JsonParser p = mapper.getFactory().createParser(text)) {
      for (JsonToken t = p.nextToken(); t != null; t = p.nextToken()) {
        switch (t) {
          case START_OBJECT -> {
            String parent = open.isEmpty() ? "" : open.peek().path();
            String path = pendingKey == null ? parent : join(parent, pendingKey);
            open.push(new Mapping(path, new HashMap<>()));
            pendingKey = null;
          }
          case END_OBJECT -> open.pop();
          case FIELD_NAME -> {
            String key = p.currentName();
            int line = p.currentTokenLocation().getLineNr();
            Integer first = open.peek().lines().putIfAbsent(key, line);
            if (first != null) {
              throw new InvalidInputException(
                  source + ": duplicate key '" + join(open.peek().path(), key) + "' at lines "
                      + first + " and " + line + "; keep one");
            }
            pendingKey = key;
          }
          default -> pendingKey = null;
        }
      }
    } catch (JsonProcessingException e) {
      // Malformed text: readTree reports it with its own message.
    }
  }

  private static String join(String parent, String key) {
    return parent.isEmpty() ? key : parent + "." + key;
  }
}
