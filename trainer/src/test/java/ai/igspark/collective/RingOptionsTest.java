package ai.igspark.collective;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.igspark.data.InvalidInputException;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class RingOptionsTest {
  @Test
  void bucketBytesNotAMultipleOfFourIsRejectedWithItsKeyAndValue() {
    InvalidInputException e =
        assertThrows(
            InvalidInputException.class, () -> RingOptions.defaults().withBucketBytes(1001));
    assertTrue(e.getMessage().contains("ring.bucketBytes"), e.getMessage());
    assertTrue(e.getMessage().contains("1001"), e.getMessage());
  }

  @Test
  void nonPositiveDeadlineIsRejectedWithItsKey() {
    InvalidInputException e =
        assertThrows(
            InvalidInputException.class,
            () -> RingOptions.defaults().withCheckpointDeadline(Duration.ZERO));
    assertTrue(e.getMessage().contains("ring.checkpointDeadline"), e.getMessage());
  }

  @Test
  void channelCountOutOfRangeIsRejectedWithItsKeyAndValue() {
    InvalidInputException e =
        assertThrows(InvalidInputException.class, () -> RingOptions.defaults().withChannels(0));
    assertTrue(e.getMessage().contains("ring.channels"), e.getMessage());
    assertTrue(e.getMessage().contains("got 0"), e.getMessage());
  }

  @Test
  void eachPhaseHasItsOwnDeadline() {
    RingOptions o =
        RingOptions.defaults()
            .withStepDeadline(Duration.ofSeconds(5))
            .withCheckpointDeadline(Duration.ofMinutes(20));
    assertEquals(Duration.ofSeconds(5), o.deadline(Collective.Phase.STEP));
    assertEquals(Duration.ofMinutes(20), o.deadline(Collective.Phase.CHECKPOINT));
  }
}
