package ai.igspark.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** IS from per-block chunk sums (what sampling tasks ship) equals IS from all the logits. */
class InceptionScoreSumsTest {
  private static float[] logits(int rows, int classes) {
    SplittableRandom r = new SplittableRandom(3);
    float[] out = new float[rows * classes];
    for (int i = 0; i < out.length; i++) {
      out[i] = (float) (3 * r.nextGaussian());
    }
    return out;
  }

  @Test
  void blocksStraddlingChunkBoundariesGiveTheSameScore() {
    int classes = 12;
    int rows = 23;
    int split = 5;
    float[] all = logits(rows, classes);
    InceptionScore direct = InceptionScore.admChunks(split).addLogits(all, rows);
    InceptionScore merged = InceptionScore.admChunks(split);
    int block = 7; // blocks 0-6, 7-13, 14-20, 21-22 cut chunks of 5 in the middle
    for (int first = 0; first < rows; first += block) {
      int n = Math.min(block, rows - first);
      float[] part = new float[n * classes];
      System.arraycopy(all, first * classes, part, 0, part.length);
      // Added in two calls, as a task adds its sampling batches.
      InceptionScore.Partial p = new InceptionScore.Partial(first, split);
      p.addLogits(java.util.Arrays.copyOf(part, classes), 1);
      if (n > 1) {
        p.addLogits(java.util.Arrays.copyOfRange(part, classes, part.length), n - 1);
      }
      for (InceptionScore.ChunkSums s : p.sums()) {
        merged.addSums(s);
      }
    }
    InceptionScore.Result a = direct.result();
    InceptionScore.Result b = merged.result();
    assertEquals(a.samples(), b.samples());
    assertEquals(5, b.chunkScores().length);
    assertArrayEquals(a.chunkScores(), b.chunkScores(), 1e-12);
  }

  @Test
  void sumsOutOfSampleOrderAreRefused() {
    InceptionScore.Partial later = new InceptionScore.Partial(10, 5);
    later.addLogits(logits(2, 4), 2);
    List<InceptionScore.ChunkSums> sums = later.sums();
    assertThrows(
        IllegalArgumentException.class,
        () -> InceptionScore.admChunks(5).addSums(sums.get(0)));
  }
}
