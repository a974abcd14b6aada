package ai.igspark.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ClusterCheckCommandTest {

  @Test
  void twoLocalRanksPassTheCheckWithDjlStartedOnEach() {
    CliRun r = CliRun.of("cluster-check", "--world-size", "2", "--slot-wait-seconds", "30");

    assertEquals(0, r.code(), r.err());
    String text = r.out();
    assertTrue(text.contains("rank 0: host 127.0.0.1"), text);
    assertTrue(text.contains("heard rank 1"), text);
    assertTrue(text.contains("rank 1: host 127.0.0.1"), text);
    assertTrue(text.contains("heard rank 0"), text);
    assertTrue(text.contains("PyTorch 2.7.1"), text);
    assertTrue(text.contains("cluster-check ok: 2 ranks"), text);
  }
}
