package ai.igspark.collective;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class LocalCollectiveTest {
  @Test
  void sumOverOneRankLeavesTheBufferAsItIs() {
    try (LocalCollective c = new LocalCollective()) {
      float[] x = {1.5f, -2f, 3.25f};
      c.allReduceSum(x);
      c.barrier(Collective.Phase.CHECKPOINT);
      assertArrayEquals(new float[] {1.5f, -2f, 3.25f}, x);
      assertEquals(0, c.rank());
      assertEquals(1, c.worldSize());
    }
  }

  @Test
  void closedLocalCollectiveRefusesCalls() {
    LocalCollective c = new LocalCollective();
    c.close();
    assertThrows(Collective.CollectiveException.class, () -> c.allReduceSum(new float[1]));
  }
}
