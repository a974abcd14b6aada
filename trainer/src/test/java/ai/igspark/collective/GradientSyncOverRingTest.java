package ai.igspark.collective;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.igspark.collective.RingFixture.Outcome;
import ai.igspark.tensor.DeviceTransfer;
import ai.igspark.train.GradientBuckets;
import ai.igspark.train.GradientSync;
import ai.igspark.train.GradientSyncTest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Two ranks with two replicas each over the TCP ring: every replica of every rank ends with
 * (r0 replica 0 + r0 replica 1) + (r1 replica 0 + r1 replica 1), bitwise, with buckets that cut
 * through parameters, on CPU and with emulated device semantics.
 */
class GradientSyncOverRingTest {
  private final boolean before = DeviceTransfer.emulated();

  @AfterEach
  void restore() {
    DeviceTransfer.setEmulated(before);
  }

  @ParameterizedTest(name = "buckets of {0} floats, emulated = {1}")
  @CsvSource({"7, false", "7, true", "1000, true", "1, false"})
  void everyReplicaOfEveryRankEndsWithTheSameSum(int bucket, boolean emulated) throws Exception {
    DeviceTransfer.setEmulated(emulated);
    int world = 2;
    int replicas = 2;
    GradientBuckets plan = GradientBuckets.plan(GradientSyncTest.sizes(), bucket);
    try (RingFixture ring = RingFixture.connect(world, TcpRingCollectiveTest.options(4096))) {
      List<Outcome<float[][]>> out =
          ring.runEach(
              rank -> {
                try (NDManager m = NDManager.newBaseManager(Device.cpu());
                    GradientSync sync = new GradientSync(plan, ring.ranks[rank], 3)) {
                  List<List<NDArray>> grads = new ArrayList<>();
                  for (int r = 0; r < replicas; r++) {
                    grads.add(GradientSyncTest.gradients(m, 10 * rank + r));
                  }
                  float[] extras = sync.allReduce(grads, new float[] {rank, 1, 2});
                  float[][] result = new float[replicas + 1][];
                  for (int r = 0; r < replicas; r++) {
                    result[r] = GradientSyncTest.flat(grads.get(r));
                  }
                  result[replicas] = extras;
                  assertTrue(sync.stagingBytes() <= 2L * 4 * (bucket + 3), "two buckets staged");
                  return result;
                }
              },
              Duration.ofSeconds(60));
      float[][] local = new float[world][];
      try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
        for (int rank = 0; rank < world; rank++) {
          List<float[]> xs = new ArrayList<>();
          for (int r = 0; r < replicas; r++) {
            xs.add(GradientSyncTest.flat(GradientSyncTest.gradients(m, 10 * rank + r)));
          }
          local[rank] = GradientSyncTest.replicaOrderSum(xs);
        }
      }
      float[] expected = GradientSyncTest.replicaOrderSum(List.of(local));
      for (int rank = 0; rank < world; rank++) {
        Outcome<float[][]> o = out.get(rank);
        assertNull(o.error(), () -> "rank failed: " + o.error());
        for (int r = 0; r < replicas; r++) {
          assertArrayEquals(expected, o.value()[r], "rank " + rank + " replica " + r);
        }
        assertArrayEquals(new float[] {1, 2, 4}, o.value()[replicas], "extras summed");
      }
      assertEquals(world, out.size());
    }
  }
}
