package ai.igspark.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class ClusterCheckCommandTest {

  @Test
  void twoLocalRanksPassTheCheckWithDjlStartedOnEach() {
    CommandLine cli = Igspark.commandLine();
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    cli.setOut(new PrintWriter(out));
    cli.setErr(new PrintWriter(err));

    int code = cli.execute("cluster-check", "--world-size", "2", "--slot-wait-seconds", "30");

    assertEquals(0, code, err.toString());
    String text = out.toString();
    assertTrue(text.contains("rank 0: host 127.0.0.1"), text);
    assertTrue(text.contains("heard rank 1"), text);
    assertTrue(text.contains("rank 1: host 127.0.0.1"), text);
    assertTrue(text.contains("heard rank 0"), text);
    assertTrue(text.contains("PyTorch 2.7.1"), text);
    assertTrue(text.contains("cluster-check ok: 2 ranks"), text);
  }
}
