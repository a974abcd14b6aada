package ai.igspark.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class IgsparkCliTest {

  @Test
  void helpListsEveryTopLevelCommand() {
    CliRun r = CliRun.of("--help");
    assertEquals(0, r.code());
    for (String command :
        new String[] {"prepare", "model-info", "train", "sample", "demo", "bench", "cluster-check",
            "gpu-check"}) {
      assertTrue(r.out().contains(command), command + " missing from:\n" + r.out());
    }
  }

  @Test
  void unknownCommandIsAUsageError() {
    CliRun r = CliRun.of("no-such-command");
    assertEquals(2, r.code());
    assertTrue(r.err().contains("no-such-command"), r.err());
  }
}
