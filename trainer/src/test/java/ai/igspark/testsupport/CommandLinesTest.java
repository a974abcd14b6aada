package ai.igspark.testsupport;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class CommandLinesTest {
  @Test
  void theArgumentsAfterALongClassPathAreSeen() throws Exception {
    String classPath = "/jars/x.jar:".repeat(1000); // 12 KB, like a Spark executor's
    Process p = new ProcessBuilder("sh", "-c", "sleep 30", classPath, "--app-id", "app-42")
        .start();
    try {
      String line = CommandLines.of(p.toHandle()).orElseThrow();
      assertTrue(line.endsWith("--app-id app-42"), line.substring(line.length() - 40));
    } finally {
      p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
  }
}
