package ai.igspark.eval;

import ai.igspark.data.InvalidInputException;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;

/**
 * Inception Score, ADM variant (docs/METRICS.md §1, §2.4): class probabilities p = softmax(logits)
 * with the bias-free logits, split in sample order into consecutive chunks; per chunk
 * {@code s = exp(mean_i Σ_c p_ic (ln p_ic − ln p̄_c))}; IS = mean of the chunk scores (the
 * population std is reported too). All arithmetic is in double.
 *
 * <p>Streaming: per chunk only Σ_i p_i and Σ_i Σ_c p_ic ln p_ic are kept, since
 * {@code mean_i Σ_c p_ic ln p̄_c = Σ_c p̄_c ln p̄_c}. Terms with p = 0 count as 0 (0·ln 0 = 0).
 */
public final class InceptionScore {
  /** ADM's split size: 50,000 samples give 10 chunks of 5000. */
  public static final int ADM_SPLIT_SIZE = 5000;

  private final long[] chunkEnds; // null: chunks of splitSize until the data ends
  private final int splitSize;
  private final List<Double> scores = new ArrayList<>();
  private double[] chunkSum;
  private double chunkPlogP;
  private long chunkRows;
  private long rows;
  private int classes = -1;

  /** Mean and population std of the chunk scores. */
  public record Result(double mean, double std, double[] chunkScores, long samples) {}

  private InceptionScore(int splitSize, long[] chunkEnds) {
    this.splitSize = splitSize;
    this.chunkEnds = chunkEnds;
  }

  /** ADM: consecutive chunks of {@code splitSize} rows, a shorter last chunk kept. */
  public static InceptionScore admChunks(int splitSize) {
    if (splitSize <= 0) {
      throw new InvalidInputException("IS split size must be positive, got " + splitSize);
    }
    return new InceptionScore(splitSize, null);
  }

  /**
   * improved-gan / torch-fidelity (unshuffled): {@code splits} chunks [i·N/splits, (i+1)·N/splits).
   */
  public static InceptionScore equalSplits(long total, int splits) {
    if (splits <= 0 || total < splits) {
      throw new InvalidInputException(
          "Inception Score with " + splits + " equal splits needs at least " + splits
              + " samples, got " + total + " (a split would be empty)");
    }
    long[] ends = new long[splits];
    for (int i = 0; i < splits; i++) {
      ends[i] = (i + 1) * total / splits;
    }
    return new InceptionScore(0, ends);
  }

  /** Adds {@code count} rows of softmax probabilities (row-major, count × classes). */
  public InceptionScore addProbabilities(float[] probabilities, int count) {
    int c = classesOf(probabilities.length, count);
    double[] p = new double[c];
    for (int i = 0; i < count; i++) {
      for (int j = 0; j < c; j++) {
        p[j] = probabilities[i * c + j];
      }
      addRow(p);
    }
    return this;
  }

  /** Adds {@code count} rows of bias-free logits; the softmax is taken in double. */
  public InceptionScore addLogits(float[] logits, int count) {
    int c = classesOf(logits.length, count);
    double[] p = new double[c];
    for (int i = 0; i < count; i++) {
      softmax(logits, i, c, p);
      addRow(p);
    }
    return this;
  }

  private static void softmax(float[] logits, int row, int c, double[] p) {
    double max = Double.NEGATIVE_INFINITY;
    for (int j = 0; j < c; j++) {
      max = Math.max(max, logits[row * c + j]);
    }
    double z = 0;
    for (int j = 0; j < c; j++) {
      p[j] = Math.exp(logits[row * c + j] - max);
      z += p[j];
    }
    for (int j = 0; j < c; j++) {
      p[j] /= z;
    }
  }

  /**
   * What rows of one ADM chunk contribute: their count, Σ_i p_i and Σ_i Σ_c p_ic ln p_ic. The
   * score of a chunk needs only these sums, so a Spark task ships them instead of its logits
   * (1008 floats per sample) and the driver adds them up in sample order.
   */
  public record ChunkSums(long chunk, long rows, double[] sumP, double sumPlogP)
      implements Serializable {}

  /**
   * {@link ChunkSums} of a contiguous run of samples starting at sample {@code first} (a block of
   * a sampling job), for ADM chunks of {@code splitSize}.
   */
  public static final class Partial implements Serializable {
    private final int splitSize;
    private final List<ChunkSums> done = new ArrayList<>();
    private long next; // index of the next sample
    private double[] sumP;
    private double sumPlogP;
    private long rows;

    public Partial(long first, int splitSize) {
      this.next = first;
      this.splitSize = splitSize;
    }

    public Partial addLogits(float[] logits, int count) {
      if (count <= 0 || logits.length % count != 0) {
        throw new IllegalArgumentException(logits.length + " values are not " + count + " rows");
      }
      int c = logits.length / count;
      double[] p = new double[c];
      for (int i = 0; i < count; i++) {
        if (sumP == null) {
          sumP = new double[c];
        } else if (sumP.length != c) {
          throw new IllegalArgumentException("rows of " + c + " classes after " + sumP.length);
        }
        softmax(logits, i, c, p);
        for (int j = 0; j < c; j++) {
          sumP[j] += p[j];
          if (p[j] > 0) {
            sumPlogP += p[j] * Math.log(p[j]);
          }
        }
        rows++;
        next++;
        if (next % splitSize == 0) {
          close();
        }
      }
      return this;
    }

    private void close() {
      if (rows > 0) {
        done.add(new ChunkSums((next - 1) / splitSize, rows, sumP.clone(), sumPlogP));
        java.util.Arrays.fill(sumP, 0);
        sumPlogP = 0;
        rows = 0;
      }
    }

    /** The sums per chunk touched, in sample order. */
    public List<ChunkSums> sums() {
      close();
      return List.copyOf(done);
    }
  }

  /**
   * Adds the sums of the next rows in sample order (ADM chunks only); a chunk closes when its
   * {@code splitSize} rows are in.
   */
  public InceptionScore addSums(ChunkSums s) {
    if (chunkEnds != null) {
      throw new IllegalStateException("chunk sums are for ADM chunks, not equal splits");
    }
    if (s.chunk() != scores.size()) {
      throw new IllegalArgumentException(
          "sums of chunk " + s.chunk() + " while chunk " + scores.size() + " is open: add them "
              + "in sample order");
    }
    classesOf(s.sumP().length, 1);
    for (int j = 0; j < s.sumP().length; j++) {
      chunkSum[j] += s.sumP()[j];
    }
    chunkPlogP += s.sumPlogP();
    chunkRows += s.rows();
    rows += s.rows();
    if (chunkRows > splitSize) {
      throw new IllegalArgumentException("chunk " + s.chunk() + " got " + chunkRows + " rows");
    }
    if (chunkRows == splitSize) {
      closeChunk();
    }
    return this;
  }

  private int classesOf(int length, int count) {
    if (count <= 0 || length % count != 0) {
      throw new IllegalArgumentException(length + " values are not " + count + " rows");
    }
    int c = length / count;
    if (classes < 0) {
      classes = c;
      chunkSum = new double[c];
    } else if (c != classes) {
      throw new IllegalArgumentException("rows of " + c + " classes after rows of " + classes);
    }
    return c;
  }

  private void addRow(double[] p) {
    if (chunkEnds != null && scores.size() == chunkEnds.length) {
      throw new IllegalStateException("more rows than the " + chunkEnds[chunkEnds.length - 1]
          + " this equal-split Inception Score was set up for");
    }
    for (int j = 0; j < p.length; j++) {
      chunkSum[j] += p[j];
      if (p[j] > 0) {
        chunkPlogP += p[j] * Math.log(p[j]);
      }
    }
    chunkRows++;
    rows++;
    long end =
        chunkEnds != null ? chunkEnds[scores.size()] : (long) (scores.size() + 1) * splitSize;
    if (rows == end) {
      closeChunk();
    }
  }

  private void closeChunk() {
    double m = chunkRows;
    double crossEntropy = 0; // Σ_c p̄_c ln p̄_c
    for (int j = 0; j < chunkSum.length; j++) {
      double mean = chunkSum[j] / m;
      if (mean > 0) {
        crossEntropy += mean * Math.log(mean);
      }
      chunkSum[j] = 0;
    }
    scores.add(Math.exp(chunkPlogP / m - crossEntropy));
    chunkPlogP = 0;
    chunkRows = 0;
  }

  public long samples() {
    return rows;
  }

  /** The score over everything added; a short last ADM chunk is kept as its own chunk. */
  public Result result() {
    if (rows == 0) {
      throw new InvalidInputException("Inception Score needs at least one sample, got none");
    }
    if (chunkEnds != null && scores.size() < chunkEnds.length) {
      throw new IllegalStateException(
          "got " + rows + " rows, fewer than the " + chunkEnds[chunkEnds.length - 1]
              + " this equal-split Inception Score was set up for");
    }
    List<Double> all = new ArrayList<>(scores);
    if (chunkRows > 0) {
      // Score the pending short chunk without closing it, so result() can be called again.
      double[] savedSum = chunkSum.clone();
      double savedPlogP = chunkPlogP;
      long savedRows = chunkRows;
      closeChunk();
      all = new ArrayList<>(scores);
      scores.remove(scores.size() - 1);
      chunkSum = savedSum;
      chunkPlogP = savedPlogP;
      chunkRows = savedRows;
    }
    double[] s = all.stream().mapToDouble(Double::doubleValue).toArray();
    double mean = 0;
    for (double v : s) {
      mean += v;
    }
    mean /= s.length;
    double var = 0;
    for (double v : s) {
      var += (v - mean) * (v - mean);
    }
    return new Result(mean, Math.sqrt(var / s.length), s, rows);
  }
}
