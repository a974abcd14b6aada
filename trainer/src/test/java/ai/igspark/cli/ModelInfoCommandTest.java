package ai.igspark.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelInfoCommandTest {
  @TempDir Path dir;

  private static String[] run(String... args) {
    CliRun r = CliRun.of(args);
    return new String[] {String.valueOf(r.code()), r.out(), r.err()};
  }

  @Test
  void presetPrintsTheOfficialTotalAndTheHeadShare() {
    String[] r = run("model-info", "--model", "SiT-XL/2");
    assertEquals("0", r[0], r[2]);
    assertTrue(r[1].contains("677,786,144"), r[1]);
    assertTrue(r[1].contains("2,674,960"), r[1]);
    assertTrue(r[1].contains("IG head after block 8, +0.40%"), r[1]);
  }

  @Test
  void configFileWithOverridesIsCounted() throws Exception {
    Path cfg = dir.resolve("m.yaml");
    Files.writeString(cfg, "preset: SiT-XL/2\nig_depth: 0\n");
    String[] r = run("model-info", "--model-config", cfg.toString());
    assertEquals("0", r[0], r[2]);
    assertTrue(r[1].contains("675,111,184"), r[1]);
    assertTrue(r[1].contains("no IG head"), r[1]);
  }

  @Test
  void unknownPresetIsAUserErrorNamingIt() {
    String[] r = run("model-info", "--model", "SiT-Q/2");
    assertEquals("2", r[0]);
    assertTrue(r[2].contains("'SiT-Q/2'"), r[2]);
    assertTrue(r[2].contains("LightningDiT-XL/1"), r[2]);
    assertTrue(!r[2].contains("\tat "), r[2]);
  }

  @Test
  void badConfigValueIsAUserErrorNamingFileAndValue() throws Exception {
    Path cfg = dir.resolve("bad.yaml");
    Files.writeString(cfg, "preset: sit-demo\nig_depth: 9\n");
    String[] r = run("model-info", "--model-config", cfg.toString());
    assertEquals("2", r[0]);
    assertTrue(r[2].contains("bad.yaml"), r[2]);
    assertTrue(r[2].contains("ig_depth 9"), r[2]);
  }

  @Test
  void presetAndConfigFileAreMutuallyExclusive() {
    String[] r = run("model-info", "--model", "sit-demo", "--model-config", "x.yaml");
    assertEquals("2", r[0]);
    assertTrue(r[2].contains("mutually exclusive"), r[2]);
  }

  @Test
  void helpListsModelInfo() {
    assertTrue(run("--help")[1].contains("model-info"));
  }
}
