package ai.igspark.train;

import ai.igspark.ckpt.FileEntry;

/**
 * What a rank returns after its segment.
 *
 * @param rank the rank
 * @param endStep the step the rank reached (the segment's end unless it stopped early)
 * @param files checkpoint files this rank wrote into the attempt directory (rank 0 writes them)
 * @param skippedSteps non-finite steps skipped during the segment
 * @param divergedAt the step at which too many consecutive non-finite steps stopped training, or
 *     -1; the driver then stops the run instead of retrying it
 * @param warmStart whether the rank started from its executor's warm cache instead of a checkpoint
 * @param startMillis time from task start to the first step (loading state and data)
 * @param trainMillis time spent in training steps
 */
public record SegmentReport(
    int rank,
    long endStep,
    FileEntry[] files,
    long skippedSteps,
    long divergedAt,
    boolean warmStart,
    long startMillis,
    long trainMillis) {}
