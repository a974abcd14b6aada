package ai.igspark.diffusion;

import ai.igspark.data.InvalidInputException;
import java.util.SplittableRandom;

/**
 * Class labels for sample indices 0, 1, 2, ... of a sampling run. A label depends only on its index
 * (and seed), so any partition of the indices over ranks or batches gives the same labels.
 */
@FunctionalInterface
public interface LabelPlan {

  /** Labels of samples {@code first, ..., first + count − 1}. */
  long[] labels(long first, int count);

  /** Fixed labels, one per sample. */
  static LabelPlan given(long[] labels, int numClasses) {
    for (int i = 0; i < labels.length; i++) {
      if (labels[i] < 0 || labels[i] >= numClasses) {
        throw new InvalidInputException(
            "labels[" + i + "]: " + labels[i] + ", expected a class id in [0, " + numClasses + ")");
      }
    }
    long[] copy = labels.clone();
    return (first, count) -> {
      if (first < 0 || first + count > copy.length) {
        throw new InvalidInputException(
            "labels: samples ["
                + first
                + ", "
                + (first + count)
                + ") requested but only "
                + copy.length
                + " labels were given");
      }
      long[] out = new long[count];
      System.arraycopy(copy, (int) first, out, 0, count);
      return out;
    };
  }

  /** Uniformly random classes, as the official scripts draw them ({@code randint(0, K)}). */
  static LabelPlan random(int numClasses, long seed) {
    checkClasses(numClasses);
    return (first, count) -> {
      long[] out = new long[count];
      for (int i = 0; i < count; i++) {
        // One generator per index keeps labels independent of how indices are partitioned.
        out[i] =
            new SplittableRandom(seed ^ ((first + i) * 0x9E3779B97F4A7C15L)).nextInt(numClasses);
      }
      return out;
    };
  }

  /**
   * Uniform class-balanced sampling (docs/METHOD.md §5.2, §6): sample {@code i} gets class
   * {@code i mod K}, so every class appears exactly {@code total / K} times.
   */
  static LabelPlan balanced(int numClasses, long total) {
    checkClasses(numClasses);
    if (total % numClasses != 0) {
      throw new InvalidInputException(
          "num_samples: "
              + total
              + " is not a multiple of num_classes "
              + numClasses
              + ", so class-balanced labels are impossible");
    }
    return (first, count) -> {
      long[] out = new long[count];
      for (int i = 0; i < count; i++) {
        out[i] = Math.floorMod(first + i, numClasses);
      }
      return out;
    };
  }

  private static void checkClasses(int numClasses) {
    if (numClasses < 1) {
      throw new InvalidInputException("num_classes: " + numClasses + ", expected >= 1");
    }
  }
}
