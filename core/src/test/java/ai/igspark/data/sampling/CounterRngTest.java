package ai.igspark.data.sampling;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class CounterRngTest {

  @Test
  void valuesDependOnlyOnTheirCoordinates() {
    float a = CounterRng.uniform(1, 2, 3, CounterRng.STREAM_FLIP);
    for (int i = 0; i < 100; i++) {
      CounterRng.uniform(i, i, i, i); // unrelated draws in between change nothing
    }
    assertEquals(a, CounterRng.uniform(1, 2, 3, CounterRng.STREAM_FLIP));
    assertNotEquals(a, CounterRng.uniform(1, 2, 4, CounterRng.STREAM_FLIP));
    assertNotEquals(a, CounterRng.uniform(1, 3, 3, CounterRng.STREAM_FLIP));
    assertNotEquals(a, CounterRng.uniform(1, 2, 3, CounterRng.STREAM_POSTERIOR));
  }

  @Test
  void uniformsAreUniformOnTheUnitInterval() {
    int[] bins = new int[10];
    int n = 100_000;
    for (int i = 0; i < n; i++) {
      float u = CounterRng.uniform(9, 0, i, CounterRng.STREAM_FLIP);
      assertTrue(u >= 0 && u < 1);
      bins[(int) (u * 10)]++;
    }
    for (int b : bins) {
      assertEquals(n / 10.0, b, 5 * Math.sqrt(n / 10.0)); // within 5 sigma
    }
  }

  @Test
  void normalsHaveZeroMeanAndUnitVariance() {
    int n = 200_001; // odd: the last value comes from a half-used pair
    float[] z = new float[n];
    CounterRng.normals(3, 1, 77, CounterRng.STREAM_POSTERIOR, z, 0, n);
    double sum = 0;
    double sq = 0;
    for (float v : z) {
      sum += v;
      sq += v * v;
    }
    double mean = sum / n;
    assertEquals(0, mean, 0.01);
    assertEquals(1, sq / n - mean * mean, 0.02);
  }

  @Test
  void normalsOfACellAreReproducibleAndPrefixStable() {
    float[] a = new float[10];
    float[] b = new float[14];
    CounterRng.normals(1, 2, 3, 4, a, 0, 10);
    CounterRng.normals(1, 2, 3, 4, b, 4, 10);
    float[] tail = new float[10];
    System.arraycopy(b, 4, tail, 0, 10);
    assertArrayEquals(a, tail);
  }

  @Test
  void belowIsUnbiasedAcrossItsRange() {
    long key = CounterRng.key(1, 1, 1, 1);
    long[] draws = {0};
    int[] counts = new int[7];
    for (int i = 0; i < 70_000; i++) {
      counts[(int) CounterRng.below(key, 0, 7, draws)]++;
    }
    for (int c : counts) {
      assertEquals(10_000, c, 500);
    }
  }
}
