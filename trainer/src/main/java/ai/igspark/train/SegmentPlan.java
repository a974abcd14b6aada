package ai.igspark.train;

/**
 * One try of one segment, as the driver submits it.
 *
 * @param index the segment's number, {@code from / cluster.segment_steps}
 * @param from the committed step it starts from
 * @param to the step it trains to (and commits)
 * @param attempt the attempt directory's id, fresh for every try
 * @param startNanos when the driver started it, for the segment record's {@code seconds}
 */
record SegmentPlan(long index, long from, long to, String attempt, long startNanos) {}
