package ai.igspark.spark;

import ai.djl.Device;
import ai.igspark.metrics.MetricsPublisher;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.util.List;
import java.util.function.BooleanSupplier;

/**
 * Everything a rank knows about its segment, handed to {@link RankTask#run}.
 *
 * @param rank this task's rank, 0 ≤ rank < worldSize (the barrier partition id)
 * @param worldSize number of ranks
 * @param runId the training run
 * @param segment the segment number within the run
 * @param attemptNonce identifies this submission of this segment; connections between ranks must
 *     carry it and refuse any other (zombie tasks of an earlier attempt)
 * @param peers every rank's rendezvous address, indexed by rank ({@code peers.get(rank)} is ours)
 * @param listener our bound, open server channel at {@code peers.get(rank)}; the collective
 *     accepts its peers' connections on it. Closed by {@link SegmentJob} when the task returns.
 * @param devices the devices this rank drives (see {@link DeviceAssignment})
 * @param metrics live channel to the driver's {@link MetricsStream}
 * @param cancelled true once Spark has killed this task (a barrier stage aborts its other tasks
 *     without interrupting their threads, so waits must poll this to give the slot back)
 */
public record RankContext(
    int rank,
    int worldSize,
    String runId,
    long segment,
    String attemptNonce,
    List<InetSocketAddress> peers,
    ServerSocketChannel listener,
    List<Device> devices,
    MetricsPublisher metrics,
    BooleanSupplier cancelled) {}
