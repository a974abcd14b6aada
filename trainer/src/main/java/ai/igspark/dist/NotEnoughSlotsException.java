package ai.igspark.dist;

import ai.igspark.data.InvalidInputException;

/**
 * The cluster cannot run all ranks of a barrier stage at once. Spark would otherwise retry the
 * stage every 15 s for minutes; igspark gives up after a bounded wait and names both numbers.
 */
public final class NotEnoughSlotsException extends InvalidInputException {
  private final int worldSize;
  private final int availableSlots;

  public NotEnoughSlotsException(int worldSize, int availableSlots, long waitedMillis) {
    super(
        "world size "
            + worldSize
            + " needs "
            + worldSize
            + " concurrent task slots (one rank per executor), but the cluster offers only "
            + availableSlots
            + " after waiting "
            + waitedMillis
            + " ms; lower the world size or add executors (spark.cores.max, "
            + "spark.executor.instances, Workers)");
    this.worldSize = worldSize;
    this.availableSlots = availableSlots;
  }

  public int worldSize() {
    return worldSize;
  }

  public int availableSlots() {
    return availableSlots;
  }
}
