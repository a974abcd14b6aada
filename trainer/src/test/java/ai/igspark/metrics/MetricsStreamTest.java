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
import java.util.Map;
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
    List<MetricRecord> records = new CopyOnWriteArrayList<>();
    try (MetricsStream stream = MetricsStream.open("127.0.0.1", records::add);
        MetricsPublisher publisher =
            MetricsPublisher.connect(stream.endpoint(), 3, Duration.ofSeconds(5))) {
      publisher.publish(Map.of("step", 10, "loss", 0.25));
      publisher.publish(Map.of("step", 11, "note", "warm"));
      awaitCount(records, 2);

      assertEquals(2, records.size());
      assertEquals(3, records.get(0).rank());
      assertEquals(10, records.get(0).fields().get("step"));
      assertEquals(0.25, records.get(0).fields().get("loss"));
      assertEquals("warm", records.get(1).fields().get("note"));
    }
  }

  @Test
  void aClientWithoutTheSecretIsRefusedAndInjectsNothing() throws Exception {
    List<MetricRecord> records = new CopyOnWriteArrayList<>();
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
