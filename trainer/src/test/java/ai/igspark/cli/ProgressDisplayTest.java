package ai.igspark.cli;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ProgressDisplayTest {

  private static String render(boolean terminal) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ProgressDisplay p =
        new ProgressDisplay(new PrintStream(bytes, true, StandardCharsets.UTF_8), terminal)) {
      p.begin("encoding", 10);
      p.advance(4);
      p.note("skipped a.jpg: cannot decode");
      p.advance(6);
    }
    return bytes.toString(StandardCharsets.UTF_8);
  }

  @Test
  void withoutATerminalEachPhaseIsOneLineAtStartAndEnd() {
    String out = render(false);
    assertTrue(out.startsWith("encoding: 10 items\n"), out);
    assertTrue(out.contains("skipped a.jpg: cannot decode\n"), out);
    assertTrue(out.matches("(?s).*encoding: done in [0-9.]+ s\n"), out);
  }

  @Test
  void onATerminalABarShowsThePhaseAndTheCount() {
    String out = render(true);
    assertTrue(out.contains("encoding"), out);
    assertTrue(out.contains("10/10"), out);
    assertTrue(out.contains("skipped a.jpg: cannot decode"), out);
  }
}
