package ai.igspark.clusterconfig;

import java.io.IOException;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A spark-defaults.conf read the way spark-submit reads it ({@link Properties#load}, values
 * trimmed: Spark's {@code Utils.getPropertiesFromFile}), plus the stricter layout the templates
 * keep: every entry is {@code spark.<key> <value>} (whitespace, {@code =} or {@code :} between),
 * no key twice (Properties would silently keep the last), no empty value. Keys in comments that
 * read {@code #spark.<key> <value>} are "uncomment me" suggestions and are collected so they can be
 * checked too.
 *
 * @param properties the entries in file order, as Spark sees them
 * @param commentedKeys keys of the {@code #spark.<key> <value>} lines
 */
record SparkDefaults(Path file, Map<String, String> properties, List<String> commentedKeys) {
  private static final Pattern ENTRY = Pattern.compile("(\\S+?)(?:\\s*[=:]\\s*|\\s+)(.*)");
  private static final Pattern COMMENTED_ENTRY = Pattern.compile("#(spark\\.[^\\s=:]+)[\\s=:].*");

  static SparkDefaults read(Path file) {
    try {
      return parse(file, Files.readString(file, StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static SparkDefaults parse(Path file, String text) {
    Map<String, String> entries = new LinkedHashMap<>();
    List<String> commented = new ArrayList<>();
    String[] lines = text.split("\n", -1);
    for (int i = 0; i < lines.length; i++) {
      int lineNumber = i + 1;
      String line = lines[i].strip();
      if (line.isEmpty()) {
        continue;
      }
      if (line.startsWith("#") || line.startsWith("!")) {
        Matcher commentedEntry = COMMENTED_ENTRY.matcher(line);
        if (commentedEntry.matches()) {
          commented.add(commentedEntry.group(1));
        }
        continue;
      }
      // A trailing backslash continues the entry on the next line (java.util.Properties).
      StringBuilder logical = new StringBuilder();
      while (line.endsWith("\\") && i + 1 < lines.length) {
        logical.append(line, 0, line.length() - 1);
        line = lines[++i].strip();
      }
      logical.append(line);
      Matcher entry = ENTRY.matcher(logical);
      if (!entry.matches() || entry.group(2).isBlank()) {
        throw new IllegalArgumentException(
            file + ":" + lineNumber + ": expected 'spark.<key> <value>', got '" + logical + "'");
      }
      String key = entry.group(1);
      if (!key.startsWith("spark.")) {
        throw new IllegalArgumentException(
            file + ":" + lineNumber + ": key '" + key + "' does not start with 'spark.'"
                + " (spark-submit ignores it)");
      }
      if (entries.containsKey(key)) {
        throw new IllegalArgumentException(
            file + ":" + lineNumber + ": key '" + key + "' is set twice");
      }
      entries.put(key, entry.group(2).strip());
    }

    // What spark-submit will see must be what the layout check saw.
    Properties properties = new Properties();
    try {
      properties.load(new StringReader(text));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    Map<String, String> loaded = new LinkedHashMap<>();
    properties.stringPropertyNames().forEach(k -> loaded.put(k, properties.getProperty(k).strip()));
    if (!loaded.equals(entries)) {
      throw new IllegalArgumentException(
          file + ": java.util.Properties reads " + loaded + ", the layout check read " + entries);
    }
    return new SparkDefaults(
        file, Collections.unmodifiableMap(entries), List.copyOf(commented));
  }

  String get(String key) {
    String value = properties.get(key);
    if (value == null) {
      throw new AssertionError(file + " does not set " + key);
    }
    return value;
  }
}
