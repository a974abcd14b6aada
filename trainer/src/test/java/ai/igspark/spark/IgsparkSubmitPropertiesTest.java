package ai.igspark.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.Reader;
import java.lang.reflect.Constructor;
import java.lang.reflect.Field;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * bin/lib/spark-conf.sh, what bin/igspark-submit knows of Spark: its properties reader against
 * java.util.Properties (what spark-submit reads spark-defaults.conf with), and its list of the
 * options that take a value against Spark's own launcher.
 */
class IgsparkSubmitPropertiesTest {
  @TempDir Path tmp;

  /** Runs {@code script} in bash after sourcing bin/lib/spark-conf.sh; returns its stdout. */
  private static String sparkConfLib(String script, String... args) throws Exception {
    List<String> command = new ArrayList<>(List.of("bash", "-c",
        "set -euo pipefail; source \"$0\"; " + script,
        IgsparkSubmitProject.PROJECT.resolve("bin/lib/spark-conf.sh").toString()));
    command.addAll(List.of(args));
    Process p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(30, TimeUnit.SECONDS));
    assertEquals(0, p.exitValue(), out);
    return out;
  }

  /** The file as bin/lib/spark-conf.sh reads it, one "[key]=[value]" line per key, sorted. */
  private static Map<String, String> readByScript(Path file) throws Exception {
    String out = sparkConfLib("declare -A p=(); igspark_read_properties \"$1\" p;"
        + " for k in \"${!p[@]}\"; do printf '%s\\0%s\\0' \"$k\" \"${p[$k]}\"; done",
        file.toString());
    Map<String, String> read = new TreeMap<>();
    String[] fields = out.split("\0", -1);
    for (int i = 0; i + 1 < fields.length; i += 2) {
      read.put(fields[i], fields[i + 1]);
    }
    return read;
  }

  /** The file as spark-submit reads it: Properties.load, then every value trimmed. */
  private static Map<String, String> readBySpark(Path file) throws IOException {
    Properties properties = new Properties();
    try (Reader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      properties.load(in);
    }
    Map<String, String> read = new TreeMap<>();
    for (String key : properties.stringPropertyNames()) {
      read.put(key, properties.getProperty(key).trim());
    }
    return read;
  }

  @Test
  void theReaderAgreesWithJavaPropertiesOnEverySyntax() throws Exception {
    Path file = tmp.resolve("tricky.conf");
    Files.writeString(file, String.join("\n",
        "# a comment ending in a backslash does not continue \\",
        "spark.plain 1",
        "  ! another comment",
        "spark.eq=value",
        "spark.colon : value2  ",
        "spark.empty:",
        "spark.bare",
        "spark.cont first \\",
        "    second \\\\",
        "spark.after 3",
        "spark.odd \\\\\\",
        "   next",
        "spark.esc\\ key = v\\tx\\u0041\\n",
        "spark.twice==x",
        "spark.tab\tsep",
        "spark.blank \\",
        "",
        "spark.dup 1",
        "spark.dup 2",
        "spark.java.options \\",
        "    -Da=1 \\",
        "    -Db=\"two words\"",
        "spark.windows 1\r",
        "spark.windows.bare\r",
        "spark.last no newline"));

    assertEquals(readBySpark(file), readByScript(file));
  }

  @Test
  void theReaderAgreesWithJavaPropertiesOnEveryProfile() throws Exception {
    try (Stream<Path> dirs = Files.list(IgsparkSubmitProject.PROJECT.resolve("cluster-config"))) {
      for (Path profile : dirs.map(d -> d.resolve("spark-defaults.conf"))
          .filter(Files::isRegularFile).toList()) {
        assertEquals(readBySpark(profile), readByScript(profile), profile.toString());
      }
    }
  }

  @Test
  void theOptionsThatTakeAValueAreSparkSubmitsOwn() throws Exception {
    // SparkSubmitOptionParser.opts, through a concrete parser of the launcher on the class path.
    Class<?> parserClass = Class.forName("org.apache.spark.launcher.SparkSubmitOptionParser");
    Class<?> builderClass = Class.forName("org.apache.spark.launcher.SparkSubmitCommandBuilder");
    Constructor<?> newBuilder = builderClass.getDeclaredConstructor();
    newBuilder.setAccessible(true);
    Constructor<?> newParser = Class.forName(
        "org.apache.spark.launcher.SparkSubmitCommandBuilder$OptionParser")
        .getDeclaredConstructor(builderClass, boolean.class);
    newParser.setAccessible(true);
    Object parser = newParser.newInstance(newBuilder.newInstance(), true);
    TreeSet<String> spark = new TreeSet<>();
    TreeSet<String> switches = new TreeSet<>();
    for (String name : List.of("opts", "switches")) {
      Field field = parserClass.getDeclaredField(name);
      field.setAccessible(true);
      for (String[] names : (String[][]) field.get(parser)) {
        (name.equals("opts") ? spark : switches).addAll(List.of(names));
      }
    }
    TreeSet<String> all = new TreeSet<>(spark);
    all.addAll(switches);
    all.add("--bogus");

    String out = sparkConfLib("for o in \"$@\"; do"
        + " if igspark_submit_takes_value \"$o\"; then echo \"$o\"; fi; done",
        all.toArray(String[]::new));

    assertEquals(spark, new TreeSet<>(List.of(out.split("\n"))));
    assertTrue(switches.contains("--load-spark-defaults"), "igspark-submit passes it: " + switches);
  }
}
