package ai.igspark.cli.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.igspark.cli.CliRun;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReaderBenchCommandTest {
  @TempDir Path tmp;

  @Test
  void smallRunPrintsThroughputAndLeavesNoDataset() throws Exception {
    CliRun r = CliRun.of("bench", "reader", "--samples", "600", "--batch", "32", "--seconds",
        "0.2", "--work-dir", tmp.toString());
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().matches(
        "(?s)reader: [0-9,]+ samples/s wall, [0-9,]+ samples/s per CPU-second .*"), r.out());
    assertTrue(r.out().contains("reader + DJL NDArray: "), r.out());
    try (var files = Files.list(tmp)) {
      assertEquals(0, files.count(), "the temporary dataset is deleted");
    }
  }

  @Test
  void badShapeIsAUsageError() {
    CliRun r = CliRun.of("bench", "reader", "--shape", "4,32");
    assertEquals(2, r.code());
    assertTrue(r.err().contains("--shape"), r.err());
  }
}
