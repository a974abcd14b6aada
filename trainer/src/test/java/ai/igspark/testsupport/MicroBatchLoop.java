package ai.igspark.testsupport;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import ai.igspark.train.TrainStep;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.SplittableRandom;

/**
 * Training steps as a rank runs them, for the leak tests: two uneven micro-batches (rows 0–2 and
 * 3–7 of a batch of 8), a flat-buffer round trip (as the all-reduce), then the update.
 */
public final class MicroBatchLoop {
  private final TrainStep step;
  private final NDArray x;
  private final NDArray y;
  private final SplittableRandom rng = new SplittableRandom(9);
  private final FloatBuffer flat;

  /** {@code x} and {@code y}: a batch of 8 inputs and their labels. */
  public MicroBatchLoop(TrainStep step, NDArray x, NDArray y) {
    this.step = step;
    this.x = x;
    this.y = y;
    flat =
        ByteBuffer.allocateDirect(4 * (int) step.gradientSize())
            .order(ByteOrder.nativeOrder())
            .asFloatBuffer();
  }

  public void run(int steps) {
    for (int i = 0; i < steps; i++) {
      try (NDScope slices = new NDScope()) { // the caller's micro-batch views
        step.computeGradients(x.get("0:3"), y.get("0:3"), 8, rng);
        step.computeGradients(x.get("3:8"), y.get("3:8"), 8, rng);
      }
      flat.clear();
      step.gradientsTo(flat);
      flat.flip();
      step.gradientsFrom(flat);
      step.applyUpdate();
    }
  }
}
