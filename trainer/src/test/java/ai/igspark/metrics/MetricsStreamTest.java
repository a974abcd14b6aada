package ai.igspark.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

class MetricsStreamTest {

  private static void awaitCount(List<?> list, int count) throws InterruptedException {
    long deadline = System.nanoTime() + 5_000_000_000L;
    while (list.size() < count && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
  }

  @Test
  void authenticatedRankRecordsReachTheListenerWithTheirRank() throws Exception {
    List<ReceivedRecord> records = new CopyOnWriteArrayList<>();
    try (MetricsStream stream = MetricsStream.open("127.0.0.1", records::add);
        MetricsPublisher publisher =
            MetricsPublisher.connect(stream.endpoint(), 3, Duration.ofSeconds(5))) {
      StepRecord step = new StepRecord(10, 0.5, 0.25, 0.5, 0.0, 1.25, 3.0e-4f, 99.5, 1, true);
      ProbeRecord probe = new ProbeRecord(3, 812);
      publisher.publish(step);
      publisher.publish(probe);
      awaitCount(records, 2);

      assertEquals(2, records.size());
      assertEquals(3, records.get(0).rank());
      assertEquals(step, records.get(0).record());
      assertEquals(probe, records.get(1).record());
    }
  }

  @Test
  void aStepLineOfAnOlderRankWithTypeInsteadOfKindArrivesAsAStepRecord() throws Exception {
    List<ReceivedRecord> records = new CopyOnWriteArrayList<>();
    try (MetricsStream stream = MetricsStream.open("127.0.0.1", records::add);
        Socket rank = new Socket("127.0.0.1", stream.endpoint().port())) {
      BufferedReader in = new BufferedReader(
          new InputStreamReader(rank.getInputStream(), StandardCharsets.UTF_8));
      String challenge = in.readLine().substring(MetricsStream.GREETING.length()).trim();
      OutputStream out = rank.getOutputStream();
      out.write(("1 " + stream.endpoint().answer(challenge, 1) + "\n"
          + "{\"type\":\"step\",\"step\":4,\"epoch\":0.5,\"grad_norm\":1.5,\"lr\":1.0E-4,"
          + "\"samples_per_s\":10.0,\"skipped_steps\":0,\"applied\":true}\n")
          .getBytes(StandardCharsets.UTF_8));
      out.flush();
      awaitCount(records, 1);

      assertEquals(1, records.size());
      assertEquals(new StepRecord(4, 0.5, null, null, null, 1.5, 1.0e-4f, 10.0, 0, true),
          records.get(0).record());
    }
  }

  @Test
  void aClientWithoutTheSecretIsRefusedAndInjectsNothing() throws Exception {
    List<ReceivedRecord> records = new CopyOnWriteArrayList<>();
    try (MetricsStream stream = MetricsStream.open("127.0.0.1", records::add);
        Socket stray = new Socket("127.0.0.1", stream.endpoint().port())) {
      BufferedReader in = new BufferedReader(
          new InputStreamReader(stray.getInputStream(), StandardCharsets.UTF_8));
      assertTrue(in.readLine().startsWith(MetricsStream.GREETING));
      OutputStream out = stray.getOutputStream();
      out.write("0 00112233\n{\"loss\": 99}\n".getBytes(StandardCharsets.UTF_8));
      out.flush();

      assertEquals(null, in.readLine()); // the server hung up
      assertEquals(1, stream.rejectedConnections());
      assertTrue(records.isEmpty());
    }
  }

  @Test
  void aSecretOfAnotherStreamIsRefused() throws Exception {
    try (MetricsStream stream = MetricsStream.open("127.0.0.1", record -> {});
        MetricsStream other = MetricsStream.open("127.0.0.1", record -> {})) {
      MetricsEndpoint forged =
          new MetricsEndpoint("127.0.0.1", stream.endpoint().port(), other.endpoint().secret());
      try (MetricsPublisher publisher =
          MetricsPublisher.connect(forged, 0, Duration.ofSeconds(5))) {
        awaitRejected(stream);
        assertEquals(1, stream.rejectedConnections());
      }
    }
  }

  private static void awaitRejected(MetricsStream stream) throws InterruptedException {
    long deadline = System.nanoTime() + 5_000_000_000L;
    while (stream.rejectedConnections() == 0 && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
  }
}
