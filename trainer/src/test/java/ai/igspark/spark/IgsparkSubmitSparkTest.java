package ai.igspark.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bin/igspark-submit} against a real spark-submit (Spark's own launcher and SparkSubmit,
 * from the Spark jars this build uses) in local mode on 127.0.0.1, with a site
 * {@code $SPARK_HOME/conf/spark-defaults.conf}. The application jar is a stand-in
 * {@code ai.igspark.cli.Igspark}, compiled here, that prints from inside the driver what the
 * driver got: {@code SparkConf.getAll()}, its JVM's arguments and its own arguments. One
 * submission with every layer set is shared by the tests that read it.
 */
class IgsparkSubmitSparkTest {
  /** The stand-in main class: what the driver sees, one "KIND value" line each. */
  private static final String PRINTER = """
      package ai.igspark.cli;

      public final class Igspark {
        public static void main(String[] args) {
          for (scala.Tuple2<String, String> kv : new org.apache.spark.SparkConf().getAll()) {
            System.out.println("CONF " + kv._1() + "=" + kv._2());
          }
          for (String arg
              : java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            System.out.println("JVM " + arg);
          }
          for (String arg : args) {
            System.out.println("ARG " + arg);
          }
        }
      }
      """;

  /** The site's defaults: what a cluster's administrators put in $SPARK_HOME/conf. */
  private static final String SITE_DEFAULTS = """
      spark.eventLog.dir                 file:///site/event-logs
      spark.sql.shuffle.partitions       7
      spark.network.timeout              301s
      spark.executor.extraJavaOptions    -Dsite.executor.flag=1
      spark.driver.extraJavaOptions      -Dsite.driver.flag=1
      """;

  /** Added to a copy of the real local profile (a continued line, as the GPU profiles write). */
  private static final String PROFILE_ADDITIONS = """
      spark.sql.shuffle.partitions       8
      spark.network.timeout              302s
      spark.executor.extraJavaOptions \\
          -Dprofile.executor.flag=1 \\
          -Dshared.flag=profile
      """;

  @TempDir static Path tmp;
  private static IgsparkSubmitProject project;
  private static Path sparkHome;
  private static Path userJar;
  private static Path userFile;
  private static Submission layered;

  /** What one submission printed: exit code, every line (stdout and stderr), and the driver's. */
  private record Submission(int code, String output, Map<String, String> conf, List<String> jvm,
      List<String> args) {
    String conf(String key) {
      assertTrue(conf.containsKey(key), key + " not in the driver's SparkConf:\n" + output);
      return conf.get(key);
    }

    /** A line of spark-submit --verbose's "Parsed arguments" block: its value. */
    String parsed(String field) {
      for (String line : output.split("\n")) {
        String trimmed = line.strip();
        if (trimmed.startsWith(field + " ")) {
          return trimmed.substring(field.length()).strip();
        }
      }
      throw new AssertionError("no parsed argument " + field + " in:\n" + output);
    }
  }

  @BeforeAll
  static void submitWithEveryLayer() throws Exception {
    project = IgsparkSubmitProject.copyTo(tmp.resolve("project"));
    project.writeAppJar(jar -> IgsparkSubmitProject.addEntry(jar, "ai/igspark/cli/Igspark.class",
        compilePrinter()));
    // A runtime jar Spark lacks (shipped) and one Spark has (not shipped).
    IgsparkSubmitProject.writeJar(project.lib().resolve("extra-runtime-1.0.jar"), jar -> { });
    Files.createFile(project.lib().resolve("spark-core_2.13-4.1.3.jar"));
    Path profile = project.root().resolve("cluster-config/probe/spark-defaults.conf");
    Files.createDirectories(profile.getParent());
    Files.writeString(profile, Files.readString(project.root().resolve(
        "cluster-config/local/spark-defaults.conf")) + PROFILE_ADDITIONS);
    sparkHome = IgsparkSubmitProject.sparkHome(tmp.resolve("spark"));
    Files.createDirectories(sparkHome.resolve("conf"));
    Files.writeString(sparkHome.resolve("conf/spark-defaults.conf"), SITE_DEFAULTS);
    userJar = tmp.resolve("user-lib-2.0.jar");
    IgsparkSubmitProject.writeJar(userJar, jar -> { });
    userFile = Files.writeString(tmp.resolve("labels.txt"), "a\n");

    layered = submit("--profile", "probe", "--verbose",
        "--conf", "spark.network.timeout=303s",
        "--conf=spark.executor.extraJavaOptions=-Duser.executor.flag=1 -Dshared.flag=user",
        "-c", "spark.igspark.probe=short-form",
        "--driver-java-options", "-Duser.driver.flag=1",
        "--executor-memory", "3g", "--num-executors=2", "--executor-cores", "2",
        "--driver-memory=600m", "--name", "probe-app", "--queue", "q1", "--supervise",
        "--files", userFile.toString(), "--jars", userJar.toString(),
        "--", "train", "--config", "run.yaml");
    assertEquals(0, layered.code(), layered.output());
  }

  private static byte[] compilePrinter() throws IOException {
    Path src = tmp.resolve("printer/ai/igspark/cli/Igspark.java");
    Files.createDirectories(src.getParent());
    Files.writeString(src, PRINTER);
    Path classes = Files.createDirectories(tmp.resolve("printer-classes"));
    JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
    int status = javac.run(null, null, null, "-proc:none", "-cp",
        System.getProperty("java.class.path"), "-d", classes.toString(), src.toString());
    assertEquals(0, status, "javac of the stand-in driver");
    return Files.readAllBytes(classes.resolve("ai/igspark/cli/Igspark.class"));
  }

  /** Runs the copy's bin/igspark-submit with the SPARK_HOME above; stdout and stderr merged. */
  private static Submission submit(String... args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of(project.script().toString()));
    command.addAll(List.of(args));
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
    Map<String, String> env = builder.environment();
    for (String name : List.of("SPARK_CONF_DIR", "MASTER", "SPARK_SUBMIT_OPTS",
        "IGSPARK_JAVA_OPTS", "IGSPARK_EXECUTOR_JAVA_OPTS", "PYTORCH_LIBRARY_PATH")) {
      env.remove(name);
    }
    env.put("SPARK_HOME", sparkHome.toString());
    env.put("SPARK_LOCAL_IP", "127.0.0.1");
    Process process = builder.start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!process.waitFor(120, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      throw new AssertionError("igspark-submit did not finish in 120 s:\n" + output);
    }
    Map<String, String> conf = new LinkedHashMap<>();
    List<String> jvm = new ArrayList<>();
    List<String> appArgs = new ArrayList<>();
    for (String line : output.split("\n")) {
      if (line.startsWith("CONF ")) {
        int eq = line.indexOf('=');
        conf.put(line.substring(5, eq), line.substring(eq + 1));
      } else if (line.startsWith("JVM ")) {
        jvm.add(line.substring(4));
      } else if (line.startsWith("ARG ")) {
        appArgs.add(line.substring(4));
      }
    }
    return new Submission(process.exitValue(), output, conf, jvm, appArgs);
  }

  /** Asserts that {@code words} holds {@code expected} in this order (others may come between). */
  private static void assertInOrder(List<String> words, List<String> expected) {
    int at = -1;
    for (String word : expected) {
      int next = words.subList(at + 1, words.size()).indexOf(word);
      assertTrue(next >= 0, word + " after position " + at + " in " + words);
      at += next + 1;
    }
  }

  @Test
  void aSiteDefaultsKeyThatNothingElseSetsSurvives() {
    assertEquals("file:///site/event-logs", layered.conf("spark.eventLog.dir"));
  }

  @Test
  void theProfileOverridesTheSiteDefaults() {
    assertEquals("8", layered.conf("spark.sql.shuffle.partitions"));
  }

  @Test
  void confOverridesTheProfileAndTheSite() {
    assertEquals("303s", layered.conf("spark.network.timeout"));
    assertEquals("short-form", layered.conf("spark.igspark.probe"));
  }

  @Test
  void executorJavaOptionsJoinSiteProfileAndUserFlagsThenIgsparksOwn() {
    List<String> options = List.of(layered.conf("spark.executor.extraJavaOptions").split(" "));

    assertInOrder(options, List.of("-Dsite.executor.flag=1", "-Dprofile.executor.flag=1",
        "-Dshared.flag=profile", "-Duser.executor.flag=1", "-Dshared.flag=user",
        "--add-opens=java.base/java.nio=ALL-UNNAMED", "-Dai.djl.offline=true",
        "-DOPT_OUT_TRACKING=true"));
  }

  @Test
  void theDriverJvmRunsWithTheSitesAndTheUsersFlagsAndIgsparksOwn() {
    assertInOrder(layered.jvm(), List.of("-Xmx600m", "-Dsite.driver.flag=1",
        "-Duser.driver.flag=1", "--add-opens=java.base/java.nio=ALL-UNNAMED",
        "-Dai.djl.offline=true", "-DOPT_OUT_TRACKING=true"));
  }

  @Test
  void sparkSubmitOptionsArriveInBothForms() {
    assertEquals("3g", layered.parsed("executorMemory"));
    assertEquals("2", layered.parsed("numExecutors"));
    assertEquals("2", layered.parsed("executorCores"));
    assertEquals("q1", layered.parsed("queue"));
    assertEquals("true", layered.parsed("supervise"));
    assertEquals("600m", layered.conf("spark.driver.memory"));
    assertEquals("probe-app", layered.conf("spark.app.name"));
    assertTrue(layered.conf("spark.files").contains(userFile.toString()), layered.output());
  }

  @Test
  void jarsAreTheUsersThenIgsparksRuntimeJarsSparkLacks() {
    List<String> jars = List.of(layered.conf("spark.jars").split(","));

    assertInOrder(jars, List.of("file://" + userJar,
        "file://" + project.lib().resolve("extra-runtime-1.0.jar"),
        "file:" + project.appJar()));
    assertFalse(layered.conf("spark.jars").contains("spark-core"), "Spark has its own");
  }

  @Test
  void igsparksEnvironmentAndCommandReachTheDriver() {
    assertEquals("true", layered.conf("spark.executorEnv.DJL_OFFLINE"));
    assertEquals("true", layered.conf("spark.executorEnv.OPT_OUT_TRACKING"));
    assertEquals("PASSIVE", layered.conf("spark.executorEnv.OMP_WAIT_POLICY"));
    assertEquals("127.0.0.1", layered.conf("spark.driver.bindAddress"));
    assertEquals(List.of("train", "--config", "run.yaml"), layered.args());
  }

  @Test
  void aPropertiesFileTakesTheProfilesPlace() throws Exception {
    Path file = Files.writeString(tmp.resolve("own.conf"), Files.readString(project.root()
        .resolve("cluster-config/local/spark-defaults.conf")) + "spark.sql.shuffle.partitions 9\n");

    Submission r = submit("--properties-file", file.toString(), "model-info");

    assertEquals(0, r.code(), r.output());
    assertEquals("9", r.conf("spark.sql.shuffle.partitions"));
    assertEquals("file:///site/event-logs", r.conf("spark.eventLog.dir"), "site beneath it");
    assertEquals(List.of("model-info"), r.args());
  }

  @Test
  void anUnknownOptionGetsSparkSubmitsOwnError() throws Exception {
    Submission r = submit("--profile", "local", "--executor-memroy", "2g", "train");

    assertEquals(1, r.code(), r.output());
    assertTrue(r.output().contains("Error: Unrecognized option: --executor-memroy"), r.output());
    assertFalse(r.output().contains("igspark-submit:"), r.output());
    assertTrue(r.args().isEmpty(), "no driver ran: " + r.output());
  }
}
