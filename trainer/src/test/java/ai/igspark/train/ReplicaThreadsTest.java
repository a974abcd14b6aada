package ai.igspark.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import ai.igspark.diffusion.IgLoss;
import ai.igspark.diffusion.LossDraws;
import ai.igspark.diffusion.TimeConvention;
import ai.igspark.diffusion.TinyTwoHeadNet;
import ai.igspark.optim.AdamW;
import ai.igspark.optim.LrSchedule;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The replicas' forward and backward on threads of their own (issue: one thread per device). */
class ReplicaThreadsTest {
  private static final int C = 2;
  private static final int H = 8;
  private static final int W = 8;
  private static final int K = 3;
  private static final int REPLICAS = 2;
  private static final int MICRO_BATCHES = 3;
  private static final int MICRO = 6;

  @Test
  void replicasOnThreadsOfTheirOwnAccumulateTheSameGradientBytesAsOneAfterAnother() {
    float[][] serial = gradients(ReplicaThreads.serial());
    float[][] threaded;
    try (ReplicaThreads threads = ReplicaThreads.forReplicas(REPLICAS)) {
      assertTrue(threads.parallel());
      threaded = gradients(threads);
    }
    for (int r = 0; r < REPLICAS; r++) {
      assertArrayEquals(serial[r], threaded[r], "replica " + r + "'s gradient");
    }
    // The replicas saw different micro-batches, so equality above is not of two empty sums.
    assertNotEquals(serial[0][0], serial[1][0]);
  }

  @Test
  void everyReplicaRunsAtTheSameTimeOnItsOwnThread() {
    // Each piece of work waits for the other: one after another, this would time out.
    CyclicBarrier bothRunning = new CyclicBarrier(REPLICAS);
    List<String> names = new ArrayList<>(List.of("", ""));
    List<Runnable> work = new ArrayList<>();
    for (int r = 0; r < REPLICAS; r++) {
      int i = r;
      work.add(() -> {
        try {
          bothRunning.await(20, TimeUnit.SECONDS);
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
        names.set(i, Thread.currentThread().getName());
      });
    }
    try (ReplicaThreads threads = ReplicaThreads.forReplicas(REPLICAS)) {
      threads.runAll(work);
    }
    assertEquals(List.of("igspark-replica-0", "igspark-replica-1"), names);
  }

  @Test
  void aReplicasFailureIsRethrownOnlyAfterEveryOtherReplicaFinished() {
    AtomicBoolean otherFinished = new AtomicBoolean();
    List<Runnable> work = List.of(
        () -> {
          throw new IllegalStateException("replica 0 ran out of memory");
        },
        () -> {
          sleep(300);
          otherFinished.set(true);
        });
    try (ReplicaThreads threads = ReplicaThreads.forReplicas(REPLICAS)) {
      IllegalStateException e =
          assertThrows(IllegalStateException.class, () -> threads.runAll(work));
      assertEquals("replica 0 ran out of memory", e.getMessage());
      assertTrue(otherFinished.get(), "replica 1 was still computing");
    }
  }

  @Test
  void replicaThreadsUseTheCallersLibtorchIntraOpThreadCount() {
    AtomicInteger seen = new AtomicInteger(-1);
    AtomicInteger seenByOther = new AtomicInteger(-1);
    try (ReplicaThreads threads = ReplicaThreads.forReplicas(REPLICAS)) {
      int callers = JniUtils.getNumThreads();
      threads.runAll(List.of(
          () -> seen.set(JniUtils.getNumThreads()),
          () -> seenByOther.set(JniUtils.getNumThreads())));
      assertEquals(callers, seen.get());
      assertEquals(callers, seenByOther.get());
    }
  }

  @Test
  void oneReplicaRunsOnTheCallersThread() {
    try (ReplicaThreads threads = ReplicaThreads.forReplicas(1)) {
      Thread[] ran = new Thread[1];
      threads.runAll(List.of(() -> ran[0] = Thread.currentThread()));
      assertEquals(Thread.currentThread(), ran[0]);
    }
  }

  /**
   * Each replica's accumulated gradient after {@link #MICRO_BATCHES} micro-batches of its own,
   * replicas starting from the same weights, as the segment loop runs them.
   */
  private static float[][] gradients(ReplicaThreads threads) {
    List<NDManager> managers = new ArrayList<>();
    List<TrainStep> steps = new ArrayList<>();
    List<Runnable> work = new ArrayList<>();
    try {
      for (int r = 0; r < REPLICAS; r++) {
        NDManager m = NDManager.newBaseManager();
        managers.add(m);
        TinyTwoHeadNet net = TinyTwoHeadNet.random(m, C, 32, K, H, W, 7);
        TrainStep step = new TrainStep(net, TimeConvention.SIT, IgLoss.sit(K),
            new AdamW(m, AdamW.Config.sit()), null, LrSchedule.constant(1e-3f), 1.0);
        steps.add(step);
        int replica = r;
        work.add(() -> {
          for (int b = 0; b < MICRO_BATCHES; b++) {
            try (NDManager micro = m.newSubManager()) {
              long seed = 100L * replica + b;
              NDArray x = gaussian(micro, seed);
              NDArray y = micro.create(new long[] {0, 1, 2, 1, 0, 2});
              LossDraws d = IgLoss.sit(K).draw(x, new SplittableRandom(seed));
              step.accumulate(x, y, d, REPLICAS * MICRO_BATCHES * MICRO);
            }
          }
        });
      }
      threads.runAll(work);
      float[][] out = new float[REPLICAS][];
      for (int r = 0; r < REPLICAS; r++) {
        FloatBuffer g = FloatBuffer.allocate(Math.toIntExact(steps.get(r).gradientSize()));
        steps.get(r).gradientsTo(g);
        out[r] = g.array();
        steps.get(r).discardLossSums();
      }
      return out;
    } finally {
      managers.forEach(NDManager::close);
    }
  }

  private static NDArray gaussian(NDManager m, long seed) {
    SplittableRandom rng = new SplittableRandom(seed);
    float[] v = new float[MICRO * C * H * W];
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) rng.nextGaussian();
    }
    return m.create(v, new Shape(MICRO, C, H, W));
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
