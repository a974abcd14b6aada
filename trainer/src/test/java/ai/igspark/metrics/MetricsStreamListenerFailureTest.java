package ai.igspark.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.hadoop.fs.FSError;
import org.junit.jupiter.api.Test;

/**
 * A listener that fails on a record, as the driver's metrics log does on a full disk (Hadoop's
 * FSError, a java.lang.Error), loses that record only: the connection stays up and later records
 * arrive (docs/RELIABILITY.md "Full disk and preemption").
 */
class MetricsStreamListenerFailureTest {
  @Test
  void aListenerThrowingFsErrorLosesOneRecordAndTheConnectionGoesOn() throws Exception {
    List<ReceivedRecord> records = new CopyOnWriteArrayList<>();
    try (MetricsStream stream = MetricsStream.open("127.0.0.1", r -> {
          if (r.record() instanceof ProbeRecord p && p.rank() == 0) {
            throw diskFull();
          }
          records.add(r);
        });
        MetricsPublisher publisher =
            MetricsPublisher.connect(stream.endpoint(), 0, Duration.ofSeconds(5))) {
      publisher.publish(new ProbeRecord(0, 1));
      publisher.publish(new ProbeRecord(1, 2));
      publisher.publish(new ProbeRecord(2, 3));
      long deadline = System.nanoTime() + 5_000_000_000L;
      while (records.size() < 2 && System.nanoTime() < deadline) {
        Thread.sleep(10);
      }
      assertEquals(2, records.size());
      assertEquals(new ProbeRecord(1, 2), records.get(0).record());
      assertEquals(1, stream.listenerFailures());
    }
  }

  /** What Hadoop's local file system throws on ENOSPC (its constructor is package-private). */
  private static FSError diskFull() {
    try {
      var c = FSError.class.getDeclaredConstructor(Throwable.class);
      c.setAccessible(true);
      return c.newInstance(new IOException("No space left on device"));
    } catch (ReflectiveOperationException e) {
      throw new AssertionError(e);
    }
  }
}
