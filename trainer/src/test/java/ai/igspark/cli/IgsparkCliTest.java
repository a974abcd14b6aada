package ai.igspark.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class IgsparkCliTest {

  private static String[] runCapturing(String... args) {
    CommandLine cli = Igspark.commandLine();
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    cli.setOut(new PrintWriter(out));
    cli.setErr(new PrintWriter(err));
    int code = cli.execute(args);
    return new String[] {String.valueOf(code), out.toString(), err.toString()};
  }

  @Test
  void helpListsThePrepareCommand() {
    String[] r = runCapturing("--help");
    assertEquals("0", r[0]);
    assertTrue(r[1].contains("prepare"), r[1]);
  }

  @Test
  void unknownCommandIsAUsageError() {
    String[] r = runCapturing("no-such-command");
    assertEquals("2", r[0]);
    assertTrue(r[2].contains("no-such-command"), r[2]);
  }
}
