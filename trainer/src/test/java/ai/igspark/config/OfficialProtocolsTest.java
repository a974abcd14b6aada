package ai.igspark.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.igspark.diffusion.Guidance;
import ai.igspark.eval.SamplerKey;
import ai.igspark.eval.SamplerSpec;
import ai.igspark.eval.SamplerSpecParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The shipped configs carry the published sampling protocols exactly as docs/METHOD.md §3.6
 * tabulates them (issue 14 item 2): editing a config's {@code eval:} sampling keys or the table
 * alone fails here.
 */
class OfficialProtocolsTest {
  private static final Path PROJECT = Path.of(System.getProperty("igspark.project.dir", "."));
  private static final String HEADING = "### 3.6 Protocols the configs carry";
  /** The table's columns after the config, in order: the {@code eval:} keys. */
  private static final List<SamplerKey> COLUMNS = List.of(
      SamplerKey.SAMPLER, SamplerKey.STEPS, SamplerKey.TIMESTEP_SHIFT, SamplerKey.IG_SCALE,
      SamplerKey.IG_INTERVAL, SamplerKey.CFG_SCALE, SamplerKey.CFG_INTERVAL, SamplerKey.LABELS);

  /** One row: the config file and the spec its columns give. */
  private record Row(String config, SamplerSpec spec) {}

  private static List<Row> table() throws IOException {
    List<String> lines = Files.readAllLines(PROJECT.resolve("docs/METHOD.md"));
    int heading = lines.indexOf(HEADING);
    assertTrue(heading >= 0, "docs/METHOD.md has no heading '" + HEADING + "'");
    int top = heading + 1;
    while (top < lines.size() && !lines.get(top).startsWith("|")) {
      top++;
    }
    List<String> header = cells(lines.get(top));
    assertEquals("config", header.get(0), HEADING + ": first column");
    for (int i = 0; i < COLUMNS.size(); i++) {
      assertEquals(COLUMNS.get(i).configName(), header.get(i + 1), HEADING + ": column " + (i + 2));
    }
    List<Row> rows = new ArrayList<>();
    for (int i = top + 2; i < lines.size() && lines.get(i).startsWith("|"); i++) {
      rows.add(row(cells(lines.get(i))));
    }
    assertFalse(rows.isEmpty(), HEADING + ": no rows");
    return rows;
  }

  private static List<String> cells(String line) {
    String body = line.trim();
    return Arrays.stream(body.substring(1, body.length() - 1).split("\\|"))
        .map(String::trim).toList();
  }

  private static Row row(List<String> cells) {
    String config = cells.get(0).replace("`", "");
    SamplerSpecParser p =
        SamplerSpecParser.from(SamplerSpec.DEFAULT, k -> config + " in §3.6: " + k.configName());
    for (int i = 0; i < COLUMNS.size(); i++) {
      SamplerKey key = COLUMNS.get(i);
      String v = cells.get(i + 1);
      if (key == SamplerKey.LABELS) {
        p.labels(Boolean.parseBoolean(v) ? SamplerSpec.LabelMode.BALANCED
            : SamplerSpec.LabelMode.RANDOM);
      } else {
        p.set(key, v);
      }
    }
    return new Row(config, p.build());
  }

  @Test
  void everyConfigInTheTableSamplesAsTheTableSays() throws Exception {
    for (Row row : table()) {
      SamplerSpec shipped = RunConfig.load(PROJECT.resolve(row.config())).eval().samplerSpec();
      assertEquals(row.spec(), shipped, row.config() + " against docs/METHOD.md §3.6");
    }
  }

  @Test
  void everyShippedRecipeHasARowExceptTheDemo() throws Exception {
    List<String> listed = table().stream().map(Row::config).toList();
    try (Stream<Path> files = Files.list(PROJECT.resolve("configs"))) {
      for (Path f : files.filter(f -> f.toString().endsWith(".yaml")).toList()) {
        String name = "configs/" + f.getFileName();
        if (!f.getFileName().toString().startsWith("demo-")) {
          assertTrue(listed.contains(name), name + " has no row in docs/METHOD.md §3.6");
        }
      }
    }
  }

  @Test
  void lightningDitsCfgIntervalIsItsTimeFromPoint19InSitTime() throws Exception {
    // LightningDiT time runs from noise (0) to data (1); CFG is on for t_ld >= 0.19 (§3.3).
    float[] sit = Guidance.lightningDitInterval(0.19f, 1f);
    SamplerSpec spec =
        RunConfig.load(PROJECT.resolve("configs/lightningdit-xl1-ig.yaml")).eval().samplerSpec();
    assertEquals(new SamplerSpec.Interval(sit[0], sit[1]), spec.cfgInterval());
    assertEquals(124, spec.steps());
    assertEquals(125, spec.gridPoints());
  }
}
