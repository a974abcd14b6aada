package ai.igspark.notebooks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.igspark.metrics.EvalRecord;
import ai.igspark.metrics.MetricsJson;
import ai.igspark.metrics.MetricsRecord;
import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.databind.BeanProperty;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.jsonFormatVisitors.JsonFormatVisitorWrapper;
import com.fasterxml.jackson.databind.jsonFormatVisitors.JsonObjectFormatVisitor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The metrics schema of {@code ai.igspark.metrics} against its readers: the keys that
 * notebooks/igspark_run.py and the notebooks read from records exist in it, and
 * docs/checkpoints.md "Metrics records" lists every key of every record. The schema's keys come
 * from the record classes through Jackson, as MetricsJson writes them.
 */
class MetricsSchemaTest {
  /** The kinds metrics.jsonl holds (the others travel on the live stream only). */
  private static final Set<String> LOGGED_KINDS = Set.of("train", "segment", "retry", "eval", "grid");

  /** Strings in igspark_run.py that are not record keys, and what they are instead. */
  private static final Map<String, String> NOT_KEYS =
      Map.of(
          "ig", "a demo grid name",
          "cfg", "a demo grid name",
          "none", "a demo grid name",
          "demo", "a directory",
          "runs", "a directory",
          "label", "the legend column the helper adds",
          "records", "a pandas orient",
          "stable", "a pandas sort algorithm");

  private final Path repo = NotebookChecks.repoRoot();

  /** kind → its keys, {@code kind} first, in the order MetricsJson writes them. */
  static Map<String, Set<String>> schema() throws JsonMappingException {
    ObjectMapper json = new ObjectMapper();
    Map<String, Set<String>> kinds = new LinkedHashMap<>();
    for (JsonSubTypes.Type t : MetricsRecord.class.getAnnotation(JsonSubTypes.class).value()) {
      Set<String> keys = new LinkedHashSet<>(List.of(MetricsJson.KIND));
      json.acceptJsonFormatVisitor(t.value(), new JsonFormatVisitorWrapper.Base() {
        @Override
        public JsonObjectFormatVisitor expectObjectFormat(JavaType type) {
          return new JsonObjectFormatVisitor.Base() {
            @Override
            public void property(BeanProperty p) {
              keys.add(p.getName());
            }

            @Override
            public void optionalProperty(BeanProperty p) {
              keys.add(p.getName());
            }
          };
        }
      });
      kinds.put(t.name(), keys);
    }
    return kinds;
  }

  @Test
  void theSchemaHasOneKindPerRecordClassWithSnakeCaseKeys() throws Exception {
    Map<String, Set<String>> schema = schema();

    assertEquals(MetricsRecord.class.getPermittedSubclasses().length, schema.size(),
        "@JsonSubTypes of MetricsRecord vs its permitted subclasses");
    for (var e : schema.entrySet()) {
      assertTrue(e.getValue().size() > 1, e.getKey() + ": no keys found");
      for (String key : e.getValue()) {
        assertTrue(key.matches("[a-z][a-z0-9_]*"), e.getKey() + ": key " + key);
      }
    }
    // The setting's keys sit at the top level of an eval record (JsonUnwrapped).
    assertTrue(schema.get("eval").containsAll(List.of("ig_scale", "cfg_interval", "label_mode")),
        schema.get("eval").toString());
  }

  @Test
  void everyKeyTheHelperReadsIsInTheSchema() throws Exception {
    Map<String, Set<String>> schema = schema();
    Set<String> logged = new TreeSet<>();
    LOGGED_KINDS.forEach(k -> logged.addAll(schema.get(k)));
    String helper = pythonCode(Files.readString(repo.resolve("notebooks/igspark_run.py")));

    Set<String> unknown = new TreeSet<>();
    for (String s : literals(helper)) {
      boolean known = logged.contains(s) || LOGGED_KINDS.contains(s)
          || s.equals(EvalRecord.FID) || s.equals(EvalRecord.FD_FMNIST) || NOT_KEYS.containsKey(s);
      if (!known) {
        unknown.add(s);
      }
    }
    assertEquals(Set.of(), unknown, "notebooks/igspark_run.py names strings that are no key of"
        + " a metrics.jsonl record (ai.igspark.metrics); add the key to the schema, or to"
        + " NOT_KEYS when it is no key");

    Matcher setting = Pattern.compile("SETTING_KEYS = \\(([^)]*)\\)").matcher(helper);
    assertTrue(setting.find(), "SETTING_KEYS not found in notebooks/igspark_run.py");
    List<String> settingKeys = literals(setting.group(1));
    assertTrue(settingKeys.size() >= 5, settingKeys.toString());
    assertTrue(schema.get("eval").containsAll(settingKeys),
        "SETTING_KEYS " + settingKeys + " vs eval keys " + schema.get("eval"));
  }

  @Test
  void everyColumnTheNotebooksShowIsAKeyOfItsKind() throws Exception {
    Map<String, Set<String>> schema = schema();
    Map<String, String> frames = Map.of("segments", "segment", "retries", "retry",
        "evals", "eval", "train", "train");
    int checked = 0;
    for (String nb : List.of("training-curves.ipynb", "evaluation.ipynb")) {
      String code = notebookCode(repo.resolve("notebooks").resolve(nb));
      // cols = [c for c in ('step', 'segment', ...) if c in segments]
      Matcher cols = Pattern.compile("for c in \\(([^)]*)\\)\\s*if c in (\\w+)").matcher(code);
      while (cols.find()) {
        String kind = frames.get(cols.group(2));
        for (String key : literals(cols.group(1))) {
          assertTrue(schema.get(kind).contains(key), nb + ": column " + key + " of " + kind
              + " records is not in the schema " + schema.get(kind));
          checked++;
        }
      }
      // panels: ('loss', [('loss', 'total'), ('loss_final', 'final')], 'log')
      Matcher series = Pattern.compile("\\('(\\w+)', (?:'[^']*'|None)\\)").matcher(code);
      while (series.find()) {
        assertTrue(schema.get("train").contains(series.group(1)), nb + ": train column "
            + series.group(1) + " is not in the schema " + schema.get("train"));
        checked++;
      }
    }
    assertTrue(checked >= 25, "found only " + checked + " columns in the notebooks");
  }

  @Test
  void theDocsTableListsEveryKindAndEveryKey() throws Exception {
    Map<String, String> rows = new LinkedHashMap<>();
    for (String line : Files.readAllLines(repo.resolve("docs/checkpoints.md"))) {
      Matcher m = Pattern.compile("^\\| `(\\w+)` \\| `\\w+Record` \\|(.*)$").matcher(line);
      if (m.matches()) {
        rows.put(m.group(1), m.group(2));
      }
    }
    Map<String, Set<String>> schema = schema();
    assertEquals(schema.keySet(), rows.keySet(), "kinds in docs/checkpoints.md");
    for (var e : schema.entrySet()) {
      Set<String> missing = new TreeSet<>();
      for (String key : e.getValue()) {
        if (!key.equals(MetricsJson.KIND) && !rows.get(e.getKey()).contains("`" + key + "`")) {
          missing.add(key);
        }
      }
      assertEquals(Set.of(), missing, "docs/checkpoints.md, row " + e.getKey());
    }
  }

  /** Quoted identifiers ('step', "ig_scale") in Python code. */
  private static List<String> literals(String code) {
    List<String> out = new java.util.ArrayList<>();
    Matcher m = Pattern.compile("(['\"])([a-z][a-z0-9_]*)\\1").matcher(code);
    while (m.find()) {
      out.add(m.group(2));
    }
    return out;
  }

  /** Python source without docstrings and comments. */
  private static String pythonCode(String source) {
    String noDocs = source.replaceAll("(?s)\"\"\".*?\"\"\"", "");
    StringBuilder out = new StringBuilder();
    for (String line : noDocs.split("\n", -1)) {
      out.append(stripComment(line)).append('\n');
    }
    return out.toString();
  }

  private static String stripComment(String line) {
    char quote = 0;
    for (int i = 0; i < line.length(); i++) {
      char c = line.charAt(i);
      if (quote != 0) {
        if (c == '\\') {
          i++;
        } else if (c == quote) {
          quote = 0;
        }
      } else if (c == '\'' || c == '"') {
        quote = c;
      } else if (c == '#') {
        return line.substring(0, i);
      }
    }
    return line;
  }

  /** The code cells of a notebook, joined. */
  private static String notebookCode(Path notebook) throws IOException {
    StringBuilder out = new StringBuilder();
    for (var cell : new ObjectMapper().readTree(notebook.toFile()).path("cells")) {
      if (cell.path("cell_type").asText().equals("code")) {
        cell.path("source").forEach(l -> out.append(l.asText()));
        out.append('\n');
      }
    }
    return pythonCode(out.toString());
  }

  @Test
  void notKeysAreReallyAbsentFromTheSchema() throws Exception {
    Set<String> all = new TreeSet<>();
    schema().values().forEach(all::addAll);
    Set<String> both = new TreeSet<>(NOT_KEYS.keySet());
    both.retainAll(all);
    assertEquals(Set.of(), both, "NOT_KEYS " + Arrays.toString(NOT_KEYS.keySet().toArray()));
  }
}
