package ai.igspark.metrics.tensorboard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs the independent reader, src/test/python/read_tfevents.py (Debian's python3 and
 * python3-protobuf; bin/lib/install-test-packages.sh installs them), on a directory and gives
 * back its events.
 */
public final class TfEventsReader {
  static final String PYTHON = "/usr/bin/python3";
  private static final ObjectMapper JSON = new ObjectMapper();

  private TfEventsReader() {}

  /** One event as the reader saw it. */
  public record Event(String file, double wallTime, long step, String what, JsonNode json) {
    /** The only value of a summary event. */
    public JsonNode value() {
      assertEquals(1, json.path("values").size(), "values of " + json);
      return json.path("values").get(0);
    }

    public String tag() {
      return value().path("tag").asText();
    }

    /** The scalar's float32 bit pattern. */
    public int scalarBits() {
      return (int) value().path("simple_value_bits").asLong();
    }

    ImageGrid image() {
      JsonNode img = value().path("image");
      return new ImageGrid(img.path("height").asInt(), img.path("width").asInt(),
          img.path("colorspace").asInt(), HexFormat.of().parseHex(img.path("pixels_hex").asText()));
    }
  }

  record Result(int exit, String stdout, String stderr) {}

  /** Every event of every event file in {@code dir}, files in name order; fails on a defect. */
  public static List<Event> events(Path dir) throws Exception {
    JsonNode files = files(dir);
    List<Event> out = new ArrayList<>();
    for (JsonNode f : files) {
      String name = f.path("name").asText();
      assertEquals(0, f.path("truncated_tail_bytes").asInt(), name + " ends in a partial record");
      for (JsonNode e : f.path("events")) {
        out.add(new Event(name, e.path("wall_time").asDouble(), e.path("step").asLong(),
            e.path("what").asText(), e));
      }
    }
    return out;
  }

  /** The reader's per-file output ({@code [{name, truncated_tail_bytes, events}]}). */
  static JsonNode files(Path dir) throws Exception {
    Result r = run(dir);
    if (r.exit() != 0) {
      fail("read_tfevents.py " + dir + " exited " + r.exit() + ":\n" + r.stderr());
    }
    return JSON.readTree(r.stdout()).path("files");
  }

  static Result run(Path dir) throws Exception {
    Path script = script();
    if (!Files.isExecutable(Path.of(PYTHON))) {
      fail(PYTHON + " not found: install Debian's python3 and python3-protobuf"
          + " (bin/lib/install-test-packages.sh does it as root)");
    }
    ProcessBuilder pb = new ProcessBuilder(PYTHON, script.toString(), dir.toString());
    Map<String, String> env = pb.environment();
    env.put("PYTHONDONTWRITEBYTECODE", "1");
    env.remove("PYTHONPATH");
    env.remove("PYTHONHOME");
    Path stdout = Files.createTempFile("tfevents", ".json");
    Path stderr = Files.createTempFile("tfevents", ".err");
    try {
      Process p = pb.redirectOutput(stdout.toFile()).redirectError(stderr.toFile()).start();
      if (!p.waitFor(120, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        fail("read_tfevents.py " + dir + " did not finish in 120 s");
      }
      String err = Files.readString(stderr, StandardCharsets.UTF_8);
      if (err.contains("No module named 'google'")) {
        fail("the independent reader needs Debian's python3-protobuf: apt-get install"
            + " python3-protobuf (bin/lib/install-test-packages.sh does it as root)\n" + err);
      }
      return new Result(p.exitValue(), Files.readString(stdout, StandardCharsets.UTF_8), err);
    } finally {
      Files.deleteIfExists(stdout);
      Files.deleteIfExists(stderr);
    }
  }

  private static Path script() throws IOException {
    String root = System.getProperty("igspark.project.dir");
    Path base = root == null ? Path.of("..") : Path.of(root);
    Path script = base.resolve("trainer/src/test/python/read_tfevents.py").toAbsolutePath();
    if (!Files.isRegularFile(script)) {
      throw new IOException("the reader script is missing: " + script);
    }
    return script;
  }
}
