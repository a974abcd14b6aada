package ai.igspark.spark;

/**
 * What one rank of a segment returns to the driver: its value plus where and how long it ran.
 *
 * @param rank the rank (partition id) that produced this result
 * @param host the host the rank's rendezvous socket was bound to
 * @param value what the {@link RankTask} returned; its class must be registered with Kryo
 * @param allGatherMillis wall time of the rendezvous {@code allGather} (about 1 s per call)
 * @param taskMillis wall time of the {@link RankTask} itself
 * @param finishedAtMillis the executor's clock when the task returned
 */
public record RankResult<R>(
    int rank, String host, R value, long allGatherMillis, long taskMillis, long finishedAtMillis) {}
