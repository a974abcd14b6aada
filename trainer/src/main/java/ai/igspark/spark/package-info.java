/**
 * Distributed training substrate on Spark: the SparkConf igspark needs ({@link
 * ai.igspark.spark.SparkContexts}), the barrier segment job ({@link ai.igspark.spark.SegmentJob})
 * with its one-time rendezvous ({@link ai.igspark.spark.BarrierRendezvous}), live metrics from ranks
 * to the driver ({@link ai.igspark.metrics.MetricsStream}) and the devices each rank drives ({@link
 * ai.igspark.spark.DeviceAssignment}). See docs/ARCHITECTURE.md §4 and docs/PLATFORM.md §2.
 */
package ai.igspark.spark;
