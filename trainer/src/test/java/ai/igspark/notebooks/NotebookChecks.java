package ai.igspark.notebooks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import ai.igspark.ckpt.RunDirectory;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Executes notebooks/*.ipynb headless ({@code jupyter nbconvert --execute}) against a run
 * directory, as a user opening them would, and checks that every cell ran and the plots and
 * sample grids are in the executed notebook. Jupyter comes from Debian (bin/lib/
 * install-test-packages.sh installs it); without it these tests fail and say what to install.
 * Subclasses say which run: {@link NotebooksTest} a written one with every kind of record,
 * {@link NotebooksOnRealRunTest} one the trainer produces.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class NotebookChecks {
  static final List<String> DEBIAN_PACKAGES =
      List.of(
          "jupyter-nbconvert",
          "python3-nbconvert",
          "python3-ipykernel",
          "python3-matplotlib",
          "python3-pandas",
          "python3-nbformat");
  private static final String PYTHON = "/usr/bin/python3";
  private static final ObjectMapper JSON = new ObjectMapper();
  private static List<String> nbconvert;
  private final Map<String, JsonNode> executed = new HashMap<>();

  Path tmp;
  Path repo;
  Path runDir;
  Path executedDir;

  /**
   * {@code -Digspark.notebooks.keep=<new dir>} keeps the run directory and the executed notebooks
   * in {@code <dir>/<test class>/} (docs/img/ was rendered from them).
   */
  @BeforeAll
  void produceRun(@TempDir Path tmp) throws Exception {
    this.tmp = tmp;
    repo = repoRoot();
    String keep = System.getProperty("igspark.notebooks.keep", "");
    Path base =
        keep.isEmpty() ? tmp : Path.of(keep).toAbsolutePath().resolve(getClass().getSimpleName());
    runDir = base.resolve("run");
    executedDir = Files.createDirectories(base.resolve("executed"));
    assertTrue(!Files.exists(runDir), runDir + " exists already: pass a new directory");
    produceRunDirectory(runDir);
  }

  /** Writes the run the notebooks are executed against into {@code dir} (not yet existing). */
  abstract void produceRunDirectory(Path dir) throws Exception;

  @Test
  void trainingCurvesShowEveryStepOnceWithItsPlot() throws Exception {
    JsonNode nb = execute("training-curves.ipynb");
    assertTrue(pngOutputs(nb) >= 1, "no plot in the executed notebook");

    // The numbers the notebook prints agree with the records as the project reads them.
    Map<String, JsonNode> train = latestPerStep(readMetrics(), "train");
    Set<Long> steps = new TreeSet<>();
    train.values().forEach(r -> steps.add(r.get("step").asLong()));
    long first = steps.stream().min(Long::compare).orElseThrow();
    long last = steps.stream().max(Long::compare).orElseThrow();
    String text = textOutputs(nb);
    String summary = steps.size() + " train records, steps " + first + ".." + last;
    assertTrue(text.contains(summary), "expected '" + summary + "' in:\n" + text);
    String relogged = relogged(readMetrics()) + " steps logged again after a resume";
    assertTrue(text.contains(relogged), "expected '" + relogged + "' in:\n" + text);
  }

  @Test
  void evaluationShowsCurvesSweepsAndEveryGrid() throws Exception {
    JsonNode nb = execute("evaluation.ipynb");
    long grids = 0;
    for (String dir : List.of("eval", "demo")) {
      if (Files.isDirectory(runDir.resolve(dir))) {
        try (Stream<Path> files = Files.walk(runDir.resolve(dir))) {
          grids += files.filter(p -> p.getFileName().toString().matches("grid(-.*)?\\.png"))
              .count();
        }
      }
    }
    // One figure of curves, one per sweep, and every grid image (evaluations' and the demo's).
    long expected = 1 + sweeps(readMetrics()) + grids;
    assertEquals(expected, pngOutputs(nb), "image/png outputs of the executed notebook");
  }

  @Test
  void fdFmnistIsNeverCalledFid() throws Exception {
    String text = textOutputs(execute("evaluation.ipynb"));
    assertTrue(text.contains("FD-FMNIST"), "the metric is not named in:\n" + text);
    assertTrue(!Pattern.compile("\\bFID\\b").matcher(text).find(), "FID named in:\n" + text);
  }

  // --- executing notebooks

  /** Executes {@code notebooks/<name>} on {@link #runDir}; fails on any cell error. */
  synchronized JsonNode execute(String name) throws Exception {
    if (executed.containsKey(name)) {
      return executed.get(name);
    }
    List<String> cmd = new ArrayList<>(nbconvert());
    Path out = executedDir;
    cmd.addAll(List.of("--to", "notebook", "--execute",
        "--ExecutePreprocessor.timeout=180", "--output-dir", out.toString(),
        "--output", name, repo.resolve("notebooks").resolve(name).toString()));
    Result r = run(cmd, repo.resolve("notebooks"), 300);
    assertEquals(0, r.exit(), "jupyter nbconvert --execute " + name + " failed:\n" + r.output());
    JsonNode nb = JSON.readTree(out.resolve(name).toFile());
    List<String> errors = new ArrayList<>();
    for (JsonNode cell : nb.path("cells")) {
      for (JsonNode o : cell.path("outputs")) {
        if (o.path("output_type").asText().equals("error")) {
          errors.add(o.path("ename").asText() + ": " + o.path("evalue").asText());
        } else if (o.path("name").asText().equals("stderr")) {
          String s = joined(o.path("text"));
          if (s.contains("Traceback") || s.contains("Error")) {
            errors.add("stderr: " + s);
          }
        }
      }
    }
    assertTrue(errors.isEmpty(), name + ": cell errors " + errors);
    executed.put(name, nb);
    return nb;
  }

  /**
   * How to run nbconvert: Debian's jupyter-nbconvert, else Debian's python with nbconvert.
   * Fails naming the packages when neither works or the kernel's libraries are missing.
   */
  private synchronized List<String> nbconvert() throws Exception {
    if (nbconvert != null) {
      return nbconvert;
    }
    String imports = "import nbconvert, nbformat, ipykernel, matplotlib, pandas";
    Result libs = Files.isExecutable(Path.of(PYTHON))
        ? run(List.of(PYTHON, "-c", imports), tmp, 60)
        : new Result(-1, PYTHON + " not found");
    if (libs.exit() != 0) {
      fail("the notebooks need Jupyter and its libraries in " + PYTHON + " ('" + imports
          + "' failed: " + libs.output().strip() + "); install the Debian packages: apt-get "
          + "install " + String.join(" ", DEBIAN_PACKAGES) + " (bin/lib/install-test-packages.sh"
          + " does it as root)");
    }
    Path binary = Path.of("/usr/bin/jupyter-nbconvert");
    nbconvert = Files.isExecutable(binary)
        ? List.of(binary.toString())
        : List.of(PYTHON, "-m", "nbconvert");
    return nbconvert;
  }

  String python() throws Exception {
    nbconvert(); // same prerequisites: pandas for the module
    return PYTHON;
  }

  record Result(int exit, String output) {}

  Result run(List<String> cmd, Path dir, int timeoutSeconds) throws Exception {
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true);
    Map<String, String> env = pb.environment();
    env.put("IGSPARK_RUN_DIR", runDir.toString());
    // Keep Jupyter, IPython and matplotlib state out of the user's home; Debian's python first.
    Path home = tmp.resolve("jupyter-home");
    env.put("JUPYTER_RUNTIME_DIR", home.resolve("runtime").toString());
    env.put("JUPYTER_CONFIG_DIR", home.resolve("config").toString());
    env.put("JUPYTER_PLATFORM_DIRS", "1");
    env.put("IPYTHONDIR", home.resolve("ipython").toString());
    env.put("MPLCONFIGDIR", home.resolve("matplotlib").toString());
    env.put("MPLBACKEND", "module://matplotlib_inline.backend_inline");
    env.put("PATH", "/usr/bin:/bin:" + env.getOrDefault("PATH", ""));
    env.put("PYTHONDONTWRITEBYTECODE", "1"); // no __pycache__ in the checkout
    env.remove("PYTHONPATH");
    env.remove("PYTHONHOME");
    Path log = Files.createTempFile(tmp, "process", ".log");
    pb.redirectOutput(log.toFile());
    Process p = pb.start();
    if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
      fail(String.join(" ", cmd) + " did not finish in " + timeoutSeconds + " s:\n"
          + Files.readString(log));
    }
    return new Result(p.exitValue(), Files.readString(log, StandardCharsets.UTF_8));
  }

  // --- reading notebooks and the run through the project's own classes

  private static long pngOutputs(JsonNode nb) {
    long n = 0;
    for (JsonNode cell : nb.path("cells")) {
      for (JsonNode o : cell.path("outputs")) {
        if (o.path("data").has("image/png") && !o.path("data").path("image/png").asText()
            .isEmpty()) {
          n++;
        }
      }
    }
    return n;
  }

  private static String textOutputs(JsonNode nb) {
    StringBuilder sb = new StringBuilder();
    for (JsonNode cell : nb.path("cells")) {
      for (JsonNode o : cell.path("outputs")) {
        sb.append(joined(o.path("text")));
        o.path("data").fields().forEachRemaining(e -> {
          if (e.getKey().startsWith("text/")) {
            sb.append(joined(e.getValue()));
          }
        });
        sb.append('\n');
      }
    }
    return sb.toString();
  }

  private static String joined(JsonNode text) {
    if (text.isArray()) {
      StringBuilder sb = new StringBuilder();
      text.forEach(t -> sb.append(t.asText()));
      return sb.toString();
    }
    return text.asText();
  }

  List<JsonNode> readMetrics() throws IOException {
    return RunDirectory.open(runDir.toString(), new Configuration()).readMetrics();
  }

  /** Last record per step of one kind (docs/checkpoints.md: resumed runs re-log steps). */
  private static Map<String, JsonNode> latestPerStep(List<JsonNode> records, String kind) {
    Map<String, JsonNode> last = new LinkedHashMap<>();
    for (JsonNode r : records) {
      if (r.path("kind").asText().equals(kind)) {
        last.put(r.path("step").asText(), r);
      }
    }
    return last;
  }

  private static long relogged(List<JsonNode> records) {
    Map<Long, Integer> seen = new HashMap<>();
    for (JsonNode r : records) {
      if (r.path("kind").asText().equals("train")) {
        seen.merge(r.path("step").asLong(), 1, Integer::sum);
      }
    }
    return seen.values().stream().filter(n -> n > 1).count();
  }

  /** Groups (step, metric, label mode) evaluated under more than one (IG, CFG) pair. */
  static long sweeps(List<JsonNode> records) {
    Map<String, Set<String>> scales = new HashMap<>();
    for (JsonNode r : records) {
      if (r.path("kind").asText().equals("eval")) {
        String group = r.path("step").asText() + "/" + r.path("metric").asText() + "/"
            + r.path("label_mode").asText();
        scales.computeIfAbsent(group, g -> new HashSet<>())
            .add(r.path("ig_scale").asDouble() + "/" + r.path("cfg_scale").asDouble());
      }
    }
    return scales.values().stream().filter(s -> s.size() > 1).count();
  }

  /** The checkout: the first directory above the working directory with notebooks/. */
  static Path repoRoot() {
    for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
      if (Files.isRegularFile(p.resolve("notebooks/igspark_run.py"))) {
        return p;
      }
    }
    throw new IllegalStateException("no notebooks/igspark_run.py above " + Path.of("")
        .toAbsolutePath());
  }
}
