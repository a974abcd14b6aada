package ai.igspark.spark;

import ai.igspark.data.InvalidInputException;

/**
 * The cluster cannot run all ranks of a barrier stage at once. Spark would otherwise retry the
 * stage every 15 s for minutes; igspark gives up after a bounded wait and names both numbers.
 */
public final class NotEnoughSlotsException extends InvalidInputException {
  private final int worldSize;
  private final int availableSlots;

  private NotEnoughSlotsException(String message, int worldSize, int availableSlots) {
    super(message);
    this.worldSize = worldSize;
    this.availableSlots = availableSlots;
  }

  /** Fewer slots than ranks, checked before submitting. */
  public static NotEnoughSlotsException tooFew(int worldSize, int availableSlots,
      long waitedMillis) {
    return new NotEnoughSlotsException("world size " + worldSize + " needs " + worldSize
        + " concurrent task slots (one rank per executor), but the cluster offers only "
        + availableSlots + " after waiting " + waitedMillis + " ms; lower the world size or add"
        + " executors (spark.cores.max, spark.executor.instances, Workers)",
        worldSize, availableSlots);
  }

  /** Enough slots on paper, but the barrier stage could not launch: busy or lost executors. */
  public static NotEnoughSlotsException notLaunched(int worldSize, int availableSlots,
      long waitedMillis) {
    return new NotEnoughSlotsException("world size " + worldSize + ": the barrier stage did not"
        + " launch within " + waitedMillis + " ms; the cluster has " + availableSlots
        + " task slots, but " + worldSize + " were never free at once (other jobs hold them, or"
        + " executors were lost); the stage was cancelled", worldSize, availableSlots);
  }

  public int worldSize() {
    return worldSize;
  }

  public int availableSlots() {
    return availableSlots;
  }
}
