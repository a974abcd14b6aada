package ai.igspark.config;

import ai.igspark.data.InvalidInputException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.MissingNode;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * The leaf-by-leaf difference between a run's stored configuration and the one a resume brings.
 * Key paths look like {@code train.optimizer.lr} and {@code train.optimizer.betas[1]}.
 */
public record RunConfigDiff(List<Change> changes) {
  /** One dot-separated part of a key path: a name with optional indices, {@code betas[1]}. */
  private static final Pattern KEY_PART = Pattern.compile("([^\\[\\]]+)((?:\\[\\d+])*)");
  private static final Pattern INDEX = Pattern.compile("\\[(\\d+)]");

  /** One differing key: its value before and after ("(absent)" when a side lacks it). */
  public record Change(String key, String before, String after) {
    @Override
    public String toString() {
      return key + ": " + before + " → " + after;
    }
  }

  public RunConfigDiff {
    changes = List.copyOf(changes);
  }

  /** Compares two configuration trees. */
  public static RunConfigDiff between(JsonNode before, JsonNode after) {
    List<Change> out = new ArrayList<>();
    walk("", before, after, out);
    return new RunConfigDiff(out);
  }

  public boolean isEmpty() {
    return changes.isEmpty();
  }

  /**
   * Parses an {@code --allow-change} value: comma-separated key paths; a key allows itself and
   * everything under it ({@code eval} allows {@code eval.num_samples}).
   */
  public static Set<String> parseAllowed(String csv) {
    if (csv == null || csv.isBlank()) {
      return Set.of();
    }
    return Arrays.stream(csv.split(","))
        .map(String::trim)
        .filter(s -> !s.isEmpty())
        .collect(Collectors.toCollection(LinkedHashSet::new));
  }

  /**
   * Refuses an {@code --allow-change} key that names nothing in any of {@code trees} (the resolved
   * configuration, every default written out): a misspelt key would otherwise allow nothing and
   * the refusal it was meant to lift would follow with no hint.
   */
  public static void requireKnown(Collection<String> allowed, JsonNode... trees) {
    for (String key : allowed) {
      boolean known = false;
      for (JsonNode tree : trees) {
        known |= !at(tree, key).isMissingNode();
      }
      if (!known) {
        Set<String> sections = new TreeSet<>();
        for (JsonNode tree : trees) {
          tree.fieldNames().forEachRemaining(sections::add);
        }
        throw new InvalidInputException(
            "--allow-change: unknown key '" + key + "'; expected a key path of the run"
                + " configuration such as train.optimizer.lr or a section (" + String.join(", ",
                sections) + ")");
      }
    }
  }

  /** The node at a key path such as {@code train.optimizer.betas[1]}; missing if none. */
  private static JsonNode at(JsonNode tree, String key) {
    JsonNode node = tree;
    for (String part : key.split("\\.", -1)) {
      Matcher m = KEY_PART.matcher(part);
      if (!m.matches()) {
        return MissingNode.getInstance();
      }
      node = node.path(m.group(1));
      Matcher index = INDEX.matcher(m.group(2));
      while (index.find()) {
        node = node.path(Integer.parseInt(index.group(1)));
      }
    }
    return node;
  }

  /** The changes none of {@code allowed} covers. */
  public List<Change> notAllowed(Collection<String> allowed) {
    return changes.stream().filter(c -> allowed.stream().noneMatch(a -> covers(a, c.key())))
        .toList();
  }

  /**
   * Refuses the resume unless every change is allowed: an {@link InvalidInputException} listing
   * each refused key with its old and new value, and how to allow them.
   */
  public void requireAllowed(Collection<String> allowed, String runYaml) {
    List<Change> refused = notAllowed(allowed);
    if (refused.isEmpty()) {
      return;
    }
    Set<String> keys = new TreeSet<>();
    for (Change c : refused) {
      keys.add(c.key().replaceAll("\\[\\d+]$", ""));
    }
    throw new InvalidInputException(
        "the configuration differs from the run's "
            + runYaml
            + " in:\n  "
            + refused.stream().map(Change::toString).collect(Collectors.joining("\n  "))
            + "\nResuming with a different configuration is refused; if intended, pass"
            + " --allow-change "
            + String.join(",", keys));
  }

  public static boolean covers(String allowed, String key) {
    return key.equals(allowed)
        || key.startsWith(allowed + ".")
        || key.startsWith(allowed + "[");
  }

  private static void walk(String path, JsonNode a, JsonNode b, List<Change> out) {
    boolean aMissing = a == null || a.isMissingNode() || a.isNull();
    boolean bMissing = b == null || b.isMissingNode() || b.isNull();
    if (aMissing && bMissing) {
      return;
    }
    if (!aMissing && !bMissing && a.isObject() && b.isObject()) {
      Set<String> names = new TreeSet<>();
      a.fieldNames().forEachRemaining(names::add);
      b.fieldNames().forEachRemaining(names::add);
      for (String n : names) {
        walk(path.isEmpty() ? n : path + "." + n, a.get(n), b.get(n), out);
      }
      return;
    }
    if (!aMissing && !bMissing && a.isArray() && b.isArray()) {
      int n = Math.max(a.size(), b.size());
      for (int i = 0; i < n; i++) {
        walk(path + "[" + i + "]", a.get(i), b.get(i), out);
      }
      return;
    }
    if (aMissing || bMissing || !sameValue(a, b)) {
      out.add(new Change(path, show(a, aMissing), show(b, bMissing)));
    }
  }

  /** Numbers compare by value (1e-4 in YAML equals 1.0E-4 in run.yaml); the rest by equality. */
  private static boolean sameValue(JsonNode a, JsonNode b) {
    if (a.isNumber() && b.isNumber()) {
      return a.decimalValue().compareTo(b.decimalValue()) == 0;
    }
    return a.equals(b);
  }

  private static String show(JsonNode n, boolean missing) {
    if (missing) {
      return "(absent)";
    }
    if (n.isContainerNode()) {
      return n.toString();
    }
    return n.isTextual() ? "'" + n.asText() + "'" : n.asText();
  }
}
