package ai.igspark.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code igspark config schema}: what it prints and writes is docs/run-config.schema.json. */
class ConfigCommandTest {
  private static final Path COMMITTED =
      Path.of(System.getProperty("igspark.project.dir"), "docs/run-config.schema.json");

  @TempDir Path tmp;

  @Test
  void schemaPrintsTheCommittedSchema() throws Exception {
    CliRun r = CliRun.of("config", "schema");
    assertEquals(0, r.code(), r.err());
    assertEquals(Files.readString(COMMITTED, StandardCharsets.UTF_8), r.out());
  }

  @Test
  void schemaOutputWritesTheSameFile() throws Exception {
    Path out = tmp.resolve("schema.json");
    CliRun r = CliRun.of("config", "schema", "--output", out.toString());
    assertEquals(0, r.code(), r.err());
    assertEquals(Files.readString(COMMITTED, StandardCharsets.UTF_8), Files.readString(out));
  }
}
