package ai.igspark.diffusion;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.igspark.data.InvalidInputException;
import org.junit.jupiter.api.Test;

class LabelPlanTest {

  @Test
  void balancedLabelsGiveEveryClassEquallyOften() {
    long[] counts = new long[10];
    for (long label : LabelPlan.balanced(10, 50).labels(0, 50)) {
      counts[(int) label]++;
    }
    long[] five = new long[10];
    java.util.Arrays.fill(five, 5);
    assertArrayEquals(five, counts);
  }

  @Test
  void randomLabelsDoNotDependOnHowSamplesArePartitioned() {
    LabelPlan plan = LabelPlan.random(1000, 0);
    long[] whole = plan.labels(100, 64);
    long[] a = plan.labels(100, 20);
    long[] b = plan.labels(120, 44);
    long[] joined = new long[64];
    System.arraycopy(a, 0, joined, 0, 20);
    System.arraycopy(b, 0, joined, 20, 44);
    assertArrayEquals(whole, joined);
    for (long l : whole) {
      assertTrue(l >= 0 && l < 1000);
    }
  }

  @Test
  void givenLabelOutOfRangeIsRejectedWithItsIndex() {
    InvalidInputException e =
        assertThrows(
            InvalidInputException.class, () -> LabelPlan.given(new long[] {3, 1000}, 1000));
    assertTrue(e.getMessage().contains("labels[1]: 1000"), e.getMessage());
  }

  @Test
  void balancedSamplingOfANonMultipleIsRejected() {
    InvalidInputException e =
        assertThrows(InvalidInputException.class, () -> LabelPlan.balanced(1000, 50_001));
    assertTrue(e.getMessage().contains("50001"), e.getMessage());
  }

  @Test
  void requestingMoreThanTheGivenLabelsIsRejected() {
    LabelPlan plan = LabelPlan.given(new long[] {1, 2, 3}, 10);
    assertArrayEquals(new long[] {2, 3}, plan.labels(1, 2));
    assertThrows(InvalidInputException.class, () -> plan.labels(2, 2));
  }
}
