package ai.igspark.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class ExponentialBackoffTest {
  @Test
  void theWaitDoublesFromTheFirstUpToTheMaximum() {
    ExponentialBackoff b = ExponentialBackoff.ofSeconds(1.5, 10);
    assertEquals(List.of(1500L, 3000L, 6000L, 10_000L, 10_000L),
        IntStream.rangeClosed(1, 5).mapToObj(n -> b.before(n).toMillis()).toList());
  }

  @Test
  void aThousandRetriesInARowWaitTheMaximumWithoutOverflow() {
    ExponentialBackoff b = new ExponentialBackoff(Duration.ofMillis(250), Duration.ofMinutes(5));
    assertEquals(Duration.ofMinutes(5), b.before(1000));
    assertEquals(Duration.ofMinutes(5), b.before(64));
  }

  @Test
  void aZeroFirstWaitNeverWaits() {
    assertEquals(Duration.ZERO, ExponentialBackoff.ofSeconds(0, 60).before(7));
  }

  @Test
  void retryZeroIsRefused() {
    assertThrows(IllegalArgumentException.class, () -> ExponentialBackoff.ofSeconds(1, 2).before(0));
  }
}
