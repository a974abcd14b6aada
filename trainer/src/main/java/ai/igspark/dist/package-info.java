/**
 * Distributed training substrate on Spark: the SparkConf igspark needs ({@link
 * ai.igspark.dist.SparkContexts}), the barrier segment job ({@link ai.igspark.dist.SegmentJob})
 * with its one-time rendezvous ({@link ai.igspark.dist.BarrierRendezvous}), live metrics from ranks
 * to the driver ({@link ai.igspark.dist.MetricsStream}) and the devices each rank drives ({@link
 * ai.igspark.dist.DeviceAssignment}). See docs/ARCHITECTURE.md §4 and docs/PLATFORM.md §2.
 */
package ai.igspark.dist;
