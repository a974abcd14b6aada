package ai.igspark.data.config;

import ai.igspark.data.InvalidInputException;
import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.databind.BeanDescription;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.introspect.BeanPropertyDefinition;
import java.util.Iterator;
import java.util.Map;
import java.util.TreeMap;

/**
 * Checks every key of a tree against the record it will become, recursively through record-typed
 * values and lists or maps of records, before Jackson builds anything. The first unknown key is
 * reported with the keys known at its level and the nearest one, so a misspelling is named as
 * such instead of surfacing as the required key it was meant to be.
 */
final class KnownKeys {
  private KnownKeys() {}

  static void check(ObjectMapper mapper, JsonNode node, Class<?> type, String source) {
    walk(mapper, node, mapper.constructType(type), "", source);
  }

  private static void walk(
      ObjectMapper mapper, JsonNode node, JavaType type, String path, String source) {
    if (node == null || type == null) {
      return;
    }
    if (node.isArray() && type.isCollectionLikeType()) {
      for (JsonNode element : node) {
        walk(mapper, element, type.getContentType(), path, source);
      }
      return;
    }
    if (node.isObject() && type.isMapLikeType()) {
      node.fields().forEachRemaining(
          e -> walk(mapper, e.getValue(), type.getContentType(), join(path, e.getKey()), source));
      return;
    }
    if (!node.isObject() || !type.getRawClass().isRecord()) {
      return;
    }
    BeanDescription bean = mapper.getDeserializationConfig().introspect(type);
    JsonIgnoreProperties ignore = type.getRawClass().getAnnotation(JsonIgnoreProperties.class);
    if (bean.findAnySetterAccessor() != null || (ignore != null && ignore.ignoreUnknown())) {
      return;
    }
    Map<String, JavaType> known = new TreeMap<>();
    for (BeanPropertyDefinition p : bean.findProperties()) {
      known.put(p.getName(), p.getPrimaryType());
    }
    for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      String key = join(path, e.getKey());
      if (!known.containsKey(e.getKey())) {
        throw new InvalidInputException(
            source + ": unknown key '" + key + "'" + nearest(e.getKey(), known.keySet())
                + " (known keys here: " + String.join(", ", known.keySet()) + ")");
      }
      walk(mapper, e.getValue(), known.get(e.getKey()), key, source);
    }
  }

  /** " (did you mean 'x'?)" for a known key within edit distance 2, else "". */
  private static String nearest(String key, Iterable<String> known) {
    String best = null;
    int bestDistance = 3;
    for (String k : known) {
      int d = distance(key, k);
      if (d < bestDistance) {
        best = k;
        bestDistance = d;
      }
    }
    return best == null ? "" : " (did you mean '" + best + "'?)";
  }

  /** Levenshtein distance. */
  private static int distance(String a, String b) {
    int[] prev = new int[b.length() + 1];
    int[] cur = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) {
      prev[j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      cur[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int sub = prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
        cur[j] = Math.min(sub, Math.min(prev[j] + 1, cur[j - 1] + 1));
      }
      int[] t = prev;
      prev = cur;
      cur = t;
    }
    return prev[b.length()];
  }

  private static String join(String path, String key) {
    return path.isEmpty() ? key : path + "." + key;
  }
}
