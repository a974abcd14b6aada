package ai.igspark.cli.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class ReaderBenchCommandTest {
  @TempDir Path tmp;

  @Test
  void smallRunPrintsThroughputAndLeavesNoDataset() throws Exception {
    CommandLine cli = new CommandLine(new ReaderBenchCommand());
    StringWriter out = new StringWriter();
    cli.setOut(new PrintWriter(out));
    int code = cli.execute("--samples", "600", "--batch", "32", "--seconds", "0.2",
        "--work-dir", tmp.toString());
    assertEquals(0, code);
    assertTrue(out.toString().matches(
        "(?s)reader: [0-9,]+ samples/s wall, [0-9,]+ samples/s per CPU-second .*"), out.toString());
    assertTrue(out.toString().contains("reader + DJL NDArray: "), out.toString());
    try (var files = Files.list(tmp)) {
      assertEquals(0, files.count(), "the temporary dataset is deleted");
    }
  }

  @Test
  void badShapeIsAUsageError() {
    CommandLine cli = new CommandLine(new ReaderBenchCommand());
    cli.setErr(new PrintWriter(new StringWriter()));
    assertEquals(2, cli.execute("--shape", "4,32"));
  }
}
