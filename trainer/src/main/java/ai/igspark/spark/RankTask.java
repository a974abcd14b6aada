package ai.igspark.spark;

import java.io.Serializable;

/**
 * What every rank of a segment runs, after the rendezvous. Serializable: Spark ships it to the
 * executors with the task closure (Java serialization), so capture only small, serializable
 * state (configuration, paths), never a SparkContext or NDArrays.
 *
 * @param <R> the rank's result; registered with Kryo (see {@link IgsparkKryoRegistrator})
 */
@FunctionalInterface
public interface RankTask<R> extends Serializable {
  R run(RankContext context) throws Exception;
}
