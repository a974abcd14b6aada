package ai.igspark.data.sampling;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

class EpochSamplerTest {

  @Test
  void afterABatchChangeTheStreamGoesOnWhereTheOldBatchLeftItAcrossEpochs() {
    Random random = new Random(7);
    for (int trial = 0; trial < 100; trial++) {
      int n = 10 + random.nextInt(200);
      int oldBatch = 1 + random.nextInt(n);
      int newBatch = 1 + random.nextInt(n);
      long changeAt = 1 + random.nextInt(2 * n / oldBatch + 1);
      EpochSampler before = new EpochSampler(trial, n, oldBatch);
      EpochSampler after = new EpochSampler(trial, n, newBatch)
          .startingAt(changeAt, changeAt * oldBatch);
      List<Long> stream = new ArrayList<>();
      for (long s = 0; s < changeAt; s++) {
        Arrays.stream(before.globalBatch(s).sampleIndices()).forEach(stream::add);
      }
      for (long s = changeAt; stream.size() < 3L * n; s++) {
        Arrays.stream(after.globalBatch(s).sampleIndices()).forEach(stream::add);
      }
      // Every epoch of the joined stream is a permutation: nothing skipped, nothing repeated.
      for (int e = 0; e < 3; e++) {
        Set<Long> epoch = new HashSet<>(stream.subList(e * n, (e + 1) * n));
        assertEquals(n, epoch.size(), "trial " + trial + ", epoch " + e);
      }
      assertEquals(changeAt * oldBatch + newBatch, after.positionAt(changeAt + 1));
    }
  }

  @Test
  void anUnshiftedOriginIsTheSamplerItself() {
    EpochSampler plain = new EpochSampler(5, 37, 6);
    EpochSampler same = plain.startingAt(4, 24);
    for (long s = 0; s < 20; s++) {
      assertArrayEquals(plain.rankSlice(s, 1, 3).sampleIndices(),
          same.rankSlice(s, 1, 3).sampleIndices());
      assertEquals(plain.epochAt(s), same.epochAt(s));
      assertEquals(s * 6, same.positionAt(s));
    }
  }

  @Test
  void ranksOfOneStepCoverTheGlobalBatchDisjointlyInOrder() {
    Random random = new Random(1);
    for (int trial = 0; trial < 200; trial++) {
      int n = 1 + random.nextInt(300);
      int b = 1 + random.nextInt(64);
      int w = 1 + random.nextInt(12);
      long step = random.nextInt(50);
      EpochSampler s = new EpochSampler(trial, n, b);
      BatchSlice whole = s.globalBatch(step);
      List<Long> joined = new ArrayList<>();
      List<Long> joinedEpochs = new ArrayList<>();
      int min = Integer.MAX_VALUE;
      int max = 0;
      for (int r = 0; r < w; r++) {
        BatchSlice slice = s.rankSlice(step, r, w);
        min = Math.min(min, slice.size());
        max = Math.max(max, slice.size());
        Arrays.stream(slice.sampleIndices()).forEach(joined::add);
        Arrays.stream(slice.epochs()).forEach(joinedEpochs::add);
      }
      assertTrue(max - min <= 1, "slice sizes differ by " + (max - min));
      assertArrayEquals(whole.sampleIndices(), joined.stream().mapToLong(x -> x).toArray());
      assertArrayEquals(whole.epochs(), joinedEpochs.stream().mapToLong(x -> x).toArray());
      assertEquals(b, whole.size());
    }
  }

  @Test
  void everySampleIsSeenExactlyOncePerEpochWithoutDropLast() {
    int n = 103;
    int b = 10; // does not divide n: batches straddle epochs
    EpochSampler s = new EpochSampler(42, n, b);
    List<Set<Long>> perEpoch = new ArrayList<>();
    int[] counts = new int[5];
    for (long step = 0; step < (5L * n) / b; step++) {
      BatchSlice slice = s.rankSlice(step, (int) (step % 3), 3);
      for (int r = 0; r < 3; r++) {
        BatchSlice part = s.rankSlice(step, r, 3);
        for (int i = 0; i < part.size(); i++) {
          int e = (int) part.epochs()[i];
          while (perEpoch.size() <= e) {
            perEpoch.add(new HashSet<>());
          }
          assertTrue(perEpoch.get(e).add(part.sampleIndices()[i]), "repeat within epoch " + e);
          counts[e]++;
        }
      }
      assertTrue(slice.size() > 0);
    }
    for (int e = 0; e < 4; e++) {
      assertEquals(n, counts[e], "epoch " + e);
      assertEquals(n, perEpoch.get(e).size());
    }
  }

  @Test
  void epochsArePermutedDifferently() {
    EpochSampler s = new EpochSampler(7, 1000, 1000);
    assertNotEquals(
        Arrays.toString(s.globalBatch(0).sampleIndices()),
        Arrays.toString(s.globalBatch(1).sampleIndices()));
    long[] sorted = s.globalBatch(1).sampleIndices();
    Arrays.sort(sorted);
    for (int i = 0; i < sorted.length; i++) {
      assertEquals(i, sorted[i]);
    }
  }

  @Test
  void resumingAtAnyStepReproducesTheSameSequence() {
    EpochSampler first = new EpochSampler(99, 57, 8);
    List<long[]> run = new ArrayList<>();
    for (long step = 0; step < 40; step++) {
      run.add(first.rankSlice(step, 1, 3).sampleIndices());
    }
    for (long resumeAt : new long[] {0, 1, 7, 13, 39}) {
      EpochSampler resumed = new EpochSampler(99, 57, 8);
      for (long step = resumeAt; step < 40; step++) {
        assertArrayEquals(run.get((int) step), resumed.rankSlice(step, 1, 3).sampleIndices(),
            "step " + step + " after resuming at " + resumeAt);
      }
    }
  }

  @Test
  void changingWorldSizeBetweenStepsKeepsTheGlobalOrder() {
    EpochSampler s = new EpochSampler(5, 200, 12);
    List<Long> stream = new ArrayList<>();
    int[] worlds = {1, 4, 5, 2, 12, 7, 3};
    for (long step = 0; step < 30; step++) {
      int w = worlds[(int) (step % worlds.length)];
      for (int r = 0; r < w; r++) {
        Arrays.stream(s.rankSlice(step, r, w).sampleIndices()).forEach(stream::add);
      }
    }
    for (int pos = 0; pos < stream.size(); pos++) {
      assertEquals(s.sampleAt(pos), stream.get(pos), "position " + pos);
    }
  }

  @Test
  void differentSeedsGiveDifferentOrders() {
    assertNotEquals(
        Arrays.toString(new EpochSampler(1, 100, 100).globalBatch(0).sampleIndices()),
        Arrays.toString(new EpochSampler(2, 100, 100).globalBatch(0).sampleIndices()));
  }

  @Test
  void batchLargerThanTheDatasetSpansSeveralEpochs() {
    EpochSampler s = new EpochSampler(3, 5, 12);
    BatchSlice b = s.globalBatch(0);
    assertArrayEquals(new long[] {0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 2, 2}, b.epochs());
  }
}
