package ai.igspark.data.sampling;

/**
 * The samples one rank reads at one global step: dataset indices, each with the epoch it belongs
 * to (flips and posterior noise are keyed by (seed, epoch, index)).
 *
 * @param step global step
 * @param rank this rank (0 for a whole global batch)
 * @param world ranks sharing the step (1 for a whole global batch)
 * @param globalBatch B; the training step divides its loss sum by B, not by this slice's size, so
 *     uneven slices still give the exact global mean
 * @param sampleIndices dataset indices in stream order
 * @param epochs the epoch of each index
 */
public record BatchSlice(
    long step, int rank, int world, int globalBatch, long[] sampleIndices, long[] epochs) {

  public BatchSlice {
    if (sampleIndices.length != epochs.length) {
      throw new IllegalArgumentException("indices and epochs differ in length");
    }
  }

  public int size() {
    return sampleIndices.length;
  }

  @Override
  public long[] sampleIndices() {
    return sampleIndices.clone();
  }

  @Override
  public long[] epochs() {
    return epochs.clone();
  }
}
