package ai.igspark.docs;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The package table of docs/ARCHITECTURE.md §1: one row per package with its module and the igspark
 * packages it may depend on (short names, the base {@code ai.igspark} left out).
 */
record PackageTable(Map<String, Row> rows) {
  static final String BASE = "ai.igspark";

  /** One row: {@code | `ai.igspark.x` | module | job | `a`, `b` (notes) |}. */
  record Row(String pkg, String module, Set<String> dependsOn) {}

  private static final Pattern ROW =
      Pattern.compile(
          "^\\|[ \\t]*`(ai\\.igspark[a-z0-9_.]*)`[ \\t]*\\|[ \\t]*([A-Za-z0-9_-]+)[ \\t]*\\|"
              + "(.*)\\|(.*)\\|[ \\t]*$");
  /** A package name in backticks; class names (capitalised) in the notes are not packages. */
  private static final Pattern PACKAGE_NAME = Pattern.compile("`([a-z][a-z0-9_]*(?:\\.[a-z0-9_]+)*)`");

  static PackageTable read(Path root) throws IOException {
    Map<String, Row> rows = new TreeMap<>();
    Path doc = root.resolve("docs/ARCHITECTURE.md");
    for (String line : Files.readAllLines(doc, StandardCharsets.UTF_8)) {
      Matcher m = ROW.matcher(line);
      if (!m.find()) {
        continue;
      }
      Set<String> deps = new TreeSet<>();
      Matcher d = PACKAGE_NAME.matcher(m.group(4));
      while (d.find()) {
        deps.add(BASE + "." + d.group(1));
      }
      rows.put(m.group(1), new Row(m.group(1), m.group(2), deps));
    }
    if (rows.isEmpty()) {
      throw new AssertionError(doc + " has no package table rows");
    }
    return new PackageTable(rows);
  }

  Map<String, String> modules() {
    Map<String, String> out = new TreeMap<>();
    rows.forEach((pkg, row) -> out.put(pkg, row.module()));
    return out;
  }
}
