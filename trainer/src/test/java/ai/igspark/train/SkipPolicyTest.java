package ai.igspark.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class SkipPolicyTest {
  @Test
  void moreThanTheAllowedSkipsInARowDiverge() {
    SkipPolicy skips = new SkipPolicy(2);

    assertFalse(skips.diverged(false));
    assertFalse(skips.diverged(false));
    assertTrue(skips.diverged(false));
    assertEquals(3, skips.skipped());
  }

  @Test
  void anAppliedUpdateEndsTheRunOfSkipsButNotTheirCount() {
    SkipPolicy skips = new SkipPolicy(1);

    assertFalse(skips.diverged(false));
    assertFalse(skips.diverged(true));
    assertFalse(skips.diverged(false));
    assertEquals(2, skips.skipped());
  }
}
