package ai.igspark.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.igspark.data.sampling.BatchSlice;
import ai.igspark.diffusion.LossDraws;
import ai.igspark.diffusion.TimeSampling;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class KeyedLossDrawsTest {
  private static final Shape SAMPLE = new Shape(1, 2, 2);
  private final KeyedLossDraws draws = new KeyedLossDraws(11, 0.5f, TimeSampling.UNIFORM);

  @Test
  void aSampleGetsTheSameDrawsWhereverItSitsInABatch() {
    try (NDManager m = NDManager.newBaseManager()) {
      LossDraws alone = draws.draw(slice(new long[] {42}, new long[] {3}), shape(1), m);
      LossDraws second =
          draws.draw(slice(new long[] {7, 42}, new long[] {3, 3}), shape(2), m);

      assertArrayEquals(alone.t().toFloatArray(), tail(second.t().toFloatArray(), 1));
      assertArrayEquals(alone.noise().toFloatArray(), tail(second.noise().toFloatArray(), 4));
      assertArrayEquals(alone.dropLabel().toBooleanArray(),
          new boolean[] {second.dropLabel().toBooleanArray()[1]});
    }
  }

  @Test
  void theSameSampleInAnotherEpochGetsOtherDraws() {
    try (NDManager m = NDManager.newBaseManager()) {
      float[] first = draws.draw(slice(new long[] {42}, new long[] {3}), shape(1), m)
          .noise().toFloatArray();
      float[] later = draws.draw(slice(new long[] {42}, new long[] {4}), shape(1), m)
          .noise().toFloatArray();

      assertFalse(Arrays.equals(first, later));
    }
  }

  private static Shape shape(int n) {
    return new Shape(n).addAll(SAMPLE);
  }

  private static BatchSlice slice(long[] indices, long[] epochs) {
    return new BatchSlice(0, 0, 1, indices.length, indices, epochs);
  }

  private static float[] tail(float[] v, int n) {
    return Arrays.copyOfRange(v, v.length - n, v.length);
  }
}
