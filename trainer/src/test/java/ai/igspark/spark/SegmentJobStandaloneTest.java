package ai.igspark.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.igspark.metrics.ReceivedRecord;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The barrier segment job on a real standalone cluster: 2 Workers, 2 executor JVMs. */
@Tag("slow")
class SegmentJobStandaloneTest {
  private static final Logger LOG = LoggerFactory.getLogger(SegmentJobStandaloneTest.class);

  @RegisterExtension
  static final LoopbackStandaloneCluster CLUSTER = LoopbackStandaloneCluster.withWorkers(2, "1g");

  private static JavaSparkContext sc;

  @BeforeAll
  static void startSpark() throws IOException, InterruptedException {
    long start = System.nanoTime();
    sc = SparkContexts.builder()
        .master(CLUSTER.masterUrl())
        .appName("segment-job-standalone-test")
        .worldSize(2)
        .executorMemory("512m")
        .executorClassPath(CLUSTER.executorClassPath())
        .uiEnabled(false)
        .start();
    long deadline = System.nanoTime() + 120_000_000_000L;
    while (SegmentJob.availableSlots(sc) < 2 && System.nanoTime() < deadline) {
      Thread.sleep(100);
    }
    assertEquals(2, SegmentJob.availableSlots(sc), "executors did not register");
    LOG.info("cluster start {} ms, SparkContext with registered executors {} ms",
        CLUSTER.startMillis(), (System.nanoTime() - start) / 1_000_000);
  }

  @AfterAll
  static void stopSpark() {
    if (sc != null) {
      sc.close();
    }
  }

  @Test
  void twoRanksInTwoExecutorJvmsRendezvousTalkAndStreamMetrics() throws IOException {
    List<ReceivedRecord> records = new CopyOnWriteArrayList<>();
    long start = System.nanoTime();
    List<RankResult<String>> results = SegmentJob.builder(sc)
        .runId("standalone-test")
        .segment(1)
        .worldSize(2)
        .metricsListener(records::add)
        .build()
        .run(context -> SegmentJobLocalTest.greetNextRank(context) + " pid "
            + ProcessHandle.current().pid());
    LOG.info("submit -> result {} ms, allGather {} / {} ms",
        (System.nanoTime() - start) / 1_000_000, results.get(0).allGatherMillis(),
        results.get(1).allGatherMillis());

    assertEquals(2, results.size());
    String pid0 = results.get(0).value().replaceAll(".* pid ", "");
    String pid1 = results.get(1).value().replaceAll(".* pid ", "");
    assertNotEquals(pid0, pid1, "both ranks ran in one executor JVM");
    assertNotEquals(Long.toString(ProcessHandle.current().pid()), pid0);
    assertTrue(results.get(0).value().startsWith("hello from rank 1 in standalone-test-1-"),
        results.get(0).value());
    assertTrue(results.get(1).value().startsWith("hello from rank 0 in standalone-test-1-"),
        results.get(1).value());
    assertEquals("127.0.0.1", results.get(0).host());
    assertEquals("127.0.0.1", results.get(1).host());
    assertEquals(2, records.size(), records.toString());
    for (ReceivedRecord record : records) {
      assertTrue(record.receivedAtMillis() <= results.get(record.rank()).finishedAtMillis());
    }
  }

  @Test
  void worldLargerThanTheClusterFailsWithinTheSlotWait() {
    long start = System.nanoTime();
    NotEnoughSlotsException e = assertThrows(NotEnoughSlotsException.class,
        () -> SegmentJob.builder(sc)
            .worldSize(3)
            .slotWait(Duration.ofSeconds(3))
            .build()
            .run(context -> "never runs"));
    long millis = (System.nanoTime() - start) / 1_000_000;

    assertTrue(millis < 15_000, "took " + millis + " ms");
    assertEquals(3, e.worldSize());
    assertEquals(2, e.availableSlots());
    assertTrue(e.getMessage().contains("offers only 2"), e.getMessage());
  }
}
