package ai.igspark.collective;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class RingBenchmarkTest {
  @Test
  void smallRunReportsPositiveBandwidthsAndATableRow() throws Exception {
    RingBenchmark.Result r =
        RingBenchmark.run(2, 1 << 16, 2, RingOptions.defaults().withBucketBytes(1 << 16));
    assertEquals(2, r.worldSize());
    assertEquals(4L << 16, r.bytes());
    assertTrue(r.bestSeconds() > 0 && r.bestSeconds() <= r.medianSeconds(), r.toString());
    assertTrue(r.busBandwidth() > 0 && r.tcpBandwidth() > 0, r.toString());
    assertEquals(2.0 * (2 - 1) / 2 * r.bytes() / r.bestSeconds(), r.busBandwidth(), 1e-6);
    String table = RingBenchmark.table(List.of(r));
    assertEquals(3, table.lines().count(), table);
    assertTrue(table.contains("| 2 | 0.3 MB | FP32 |"), table);
  }
}
