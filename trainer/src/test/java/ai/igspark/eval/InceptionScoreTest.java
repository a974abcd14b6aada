package ai.igspark.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.igspark.data.InvalidInputException;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class InceptionScoreTest {
  private static final float[] PROBS = FidVectors.probabilities();
  private static final int C = FidVectors.IS_C;

  private static void assertRel(double expected, double actual) {
    assertEquals(expected, actual, 1e-12 * Math.abs(expected));
  }

  /** Feeds rows in uneven batches, as an extractor would. */
  private static InceptionScore feed(InceptionScore is, int rows) {
    int[] batches = {64, 1, 300, 7};
    int at = 0;
    for (int b = 0; at < rows; b++) {
      int n = Math.min(batches[b % batches.length], rows - at);
      is.addProbabilities(Arrays.copyOfRange(PROBS, at * C, (at + n) * C), n);
      at += n;
    }
    return is;
  }

  @Test
  void admChunksOf100MatchExpectedMeanAndStd() {
    InceptionScore.Result r = feed(InceptionScore.admChunks(100), 1000).result();
    assertEquals(10, r.chunkScores().length);
    assertRel(FidVectors.expected("c.adm_split100.mean"), r.mean());
    assertRel(FidVectors.expected("c.adm_split100.std"), r.std());
  }

  @Test
  void admDefaultSplitGivesOneChunkFor1000Rows() {
    InceptionScore.Result r =
        feed(InceptionScore.admChunks(InceptionScore.ADM_SPLIT_SIZE), 1000).result();
    assertEquals(1, r.chunkScores().length);
    assertRel(FidVectors.expected("c.adm_split5000.mean"), r.mean());
  }

  @Test
  void shortLastAdmChunkIsKept() {
    InceptionScore.Result r = feed(InceptionScore.admChunks(100), 950).result();
    assertEquals(10, r.chunkScores().length);
    assertRel(FidVectors.expected("c.first950.adm_split100.mean"), r.mean());
    assertRel(FidVectors.expected("c.first950.adm_split100.std"), r.std());
  }

  @Test
  void equalSplitsMatchImprovedGanPartition() {
    InceptionScore.Result r = feed(InceptionScore.equalSplits(950, 10), 950).result();
    assertRel(FidVectors.expected("c.first950.equal10.mean"), r.mean());
    assertRel(FidVectors.expected("c.first950.equal10.std"), r.std());
    InceptionScore.Result full = feed(InceptionScore.equalSplits(1000, 10), 1000).result();
    assertRel(FidVectors.expected("c.equal10.mean"), full.mean());
    assertRel(FidVectors.expected("c.equal10.std"), full.std());
  }

  @Test
  void oneHotRowsSpreadOverKClassesScoreK() {
    int k = 7;
    int n = 70;
    float[] p = new float[n * C];
    for (int i = 0; i < n; i++) {
      p[i * C + (i % k)] = 1f;
    }
    assertEquals(k, InceptionScore.admChunks(5000).addProbabilities(p, n).result().mean(), 1e-12);
  }

  @Test
  void identicalRowsScoreOne() {
    float[] p = Arrays.copyOf(PROBS, 50 * C);
    for (int i = 1; i < 50; i++) {
      System.arraycopy(PROBS, 0, p, i * C, C);
    }
    assertEquals(1.0, InceptionScore.admChunks(5000).addProbabilities(p, 50).result().mean(),
        1e-12);
  }

  @Test
  void logitsAreTurnedIntoProbabilitiesWithASoftmax() {
    float[] logits = new float[PROBS.length];
    for (int i = 0; i < logits.length; i++) {
      logits[i] = (float) Math.log(PROBS[i]) + 3f;
    }
    double fromLogits = InceptionScore.admChunks(100).addLogits(logits, 1000).result().mean();
    assertEquals(FidVectors.expected("c.adm_split100.mean"), fromLogits, 1e-5);
  }

  @Test
  void noSamplesIsAnError() {
    InvalidInputException e =
        assertThrows(InvalidInputException.class, () -> InceptionScore.admChunks(5000).result());
    assertTrue(e.getMessage().contains("at least one sample"), e.getMessage());
  }

  @Test
  void equalSplitsWithFewerSamplesThanSplitsNameTheEmptySplit() {
    InvalidInputException e =
        assertThrows(InvalidInputException.class, () -> InceptionScore.equalSplits(9, 10));
    assertTrue(e.getMessage().contains("got 9") && e.getMessage().contains("empty"),
        e.getMessage());
  }
}
