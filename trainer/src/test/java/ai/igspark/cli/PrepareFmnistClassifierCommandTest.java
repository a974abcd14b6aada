package ai.igspark.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.igspark.eval.fmnist.FmnistClassifier;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code prepare fmnist-classifier} end to end on data-pipeline's small IDX fixture. */
class PrepareFmnistClassifierCommandTest {
  private static final Path IDX =
      Path.of(System.getProperty("igspark.project.dir"),
          "data-pipeline/src/test/resources/fixtures/idx");

  @TempDir Path tmp;

  private static String[] run(String... args) {
    CliRun r = CliRun.of(args);
    return new String[] {String.valueOf(r.code()), r.out(), r.err()};
  }

  @Test
  void trainsAndWritesAFileWhoseSha256ItPrints() {
    String data = tmp.resolve("data").toString();
    String[] prep = run("prepare", "fashion-mnist", "--source", IDX.toString(), "--output", data);
    assertEquals("0", prep[0], prep[2]);
    Path file = tmp.resolve("models/c.safetensors");
    String[] r = run("prepare", "fmnist-classifier", "--data", data, "--output", file.toString(),
        "--epochs", "2", "--seed", "9");
    assertEquals("0", r[0], r[2]);
    FmnistClassifier c = FmnistClassifier.load(file);
    assertTrue(r[1].contains(file + ": sha256 " + c.sha256()), r[1]);
    assertEquals(9, c.provenance().seed());
    assertEquals(2, c.provenance().epochs());
    assertEquals(12, c.provenance().trainImages());
  }

  @Test
  void missingDatasetsArePrintedWithTheirPath() {
    Path missing = tmp.resolve("no-data");
    String[] r = run("prepare", "fmnist-classifier", "--data", missing.toString(), "--output",
        tmp.resolve("c.safetensors").toString());
    assertEquals("2", r[0], r[2]);
    assertTrue(r[2].startsWith("igspark: error: ") && r[2].contains(missing.toString()), r[2]);
    assertFalse(r[2].contains("\tat "), r[2]);
  }
}
