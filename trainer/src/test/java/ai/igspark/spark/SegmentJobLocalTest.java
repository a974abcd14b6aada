package ai.igspark.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.igspark.metrics.ProbeRecord;
import ai.igspark.metrics.ReceivedRecord;
import ai.igspark.testsupport.LocalSpark;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.spark.api.java.JavaFutureAction;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class SegmentJobLocalTest {
  @RegisterExtension
  static final LocalSpark spark =
      LocalSpark.threads(2).basedOn(() -> SparkContexts.builder().conf());

  @Test
  void twoRanksRendezvousTalkOverTheirSocketsAndStreamMetricsLive() throws IOException {
    List<ReceivedRecord> records = new CopyOnWriteArrayList<>();
    List<RankResult<String>> results = SegmentJob.builder(spark.sc())
        .runId("local-test")
        .segment(3)
        .worldSize(2)
        .metricsListener(records::add)
        .build()
        .run(SegmentJobLocalTest::greetNextRank);

    assertEquals(2, results.size());
    for (RankResult<String> result : results) {
      int previous = (result.rank() + 1) % 2; // with two ranks the previous rank is the next one
      assertTrue(result.value().startsWith("hello from rank " + previous + " in local-test-3-"),
          result.value());
      assertEquals("127.0.0.1", result.host());
      // Measured, not necessarily > 0: the last rank to reach the all-gather hardly waits.
      assertTrue(result.allGatherMillis() >= 0, result.toString());
    }
    assertEquals(2, records.size(), records.toString());
    for (ReceivedRecord record : records) {
      assertEquals(new ProbeRecord(record.rank(), 5), record.record());
      // Live, not at the end: the record arrived while its rank was still running.
      assertTrue(record.receivedAtMillis() <= results.get(record.rank()).finishedAtMillis(),
          record + " arrived after " + results.get(record.rank()));
    }
  }

  @Test
  void everyRankGetsTheRequestedCpuReplicas() throws IOException {
    List<RankResult<String>> results = SegmentJob.builder(spark.sc())
        .worldSize(2)
        .cpuReplicas(3)
        .build()
        .run(context -> context.devices().toString());

    String threeCpus = List.of(Device.cpu(), Device.cpu(), Device.cpu()).toString();
    assertEquals(threeCpus, results.get(0).value());
    assertEquals(threeCpus, results.get(1).value());
  }

  @Test
  void worldLargerThanTheClusterFailsWithinTheSlotWaitNamingBothNumbers() {
    long start = System.nanoTime();
    NotEnoughSlotsException e = assertThrows(NotEnoughSlotsException.class,
        () -> SegmentJob.builder(spark.sc())
            .worldSize(3)
            .slotWait(Duration.ofSeconds(2))
            .build()
            .run(context -> "never runs"));
    long millis = (System.nanoTime() - start) / 1_000_000;

    assertTrue(millis < 10_000, "took " + millis + " ms");
    assertTrue(e.getMessage().startsWith("world size 3 needs 3 concurrent task slots"),
        e.getMessage());
    assertTrue(e.getMessage().contains("offers only 2"), e.getMessage());
  }

  @Test
  void aStageThatCannotLaunchBecauseSlotsAreBusyIsCancelledAfterTheSlotWait() throws Exception {
    // Holds one of the two local slots, so the 2-task barrier stage can never launch meanwhile.
    JavaFutureAction<Void> blocker =
        spark.sc().parallelize(List.of(1), 1).foreachAsync(x -> Thread.sleep(8_000));
    try {
      long start = System.nanoTime();
      NotEnoughSlotsException e = assertThrows(NotEnoughSlotsException.class,
          () -> SegmentJob.builder(spark.sc())
              .worldSize(2)
              .slotWait(Duration.ofSeconds(2))
              .build()
              .run(context -> "never runs"));
      long millis = (System.nanoTime() - start) / 1_000_000;

      assertTrue(millis < 7_000, "took " + millis + " ms");
      assertTrue(e.getMessage().contains("did not launch"), e.getMessage());
      assertEquals(2, e.availableSlots());
    } finally {
      blocker.get();
    }
  }

  /**
   * Ring hello: send our greeting to rank+1 over its listener, read rank-1's from ours. Uses the
   * attempt nonce the way the ring collective will, so a stale peer would be visible.
   */
  static String greetNextRank(RankContext context) throws IOException {
    context.metrics().publish(new ProbeRecord(context.rank(), 5));
    InetSocketAddress next = context.peers().get((context.rank() + 1) % context.worldSize());
    try (SocketChannel out = SocketChannel.open(next)) {
      String hello = "hello from rank " + context.rank() + " in " + context.attemptNonce() + "\n";
      out.write(StandardCharsets.UTF_8.encode(hello));
      try (SocketChannel in = context.listener().accept()) {
        BufferedReader reader = new BufferedReader(
            new InputStreamReader(Channels.newInputStream(in), StandardCharsets.UTF_8));
        String received = reader.readLine();
        sleepQuietly(300); // the metrics record must reach the driver before the task ends
        return received;
      }
    }
  }

  private static void sleepQuietly(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
