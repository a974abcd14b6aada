package ai.igspark.train;

import ai.igspark.config.RunConfig;
import ai.igspark.data.InvalidInputException;
import ai.igspark.spark.NotEnoughSlotsException;
import java.io.PrintStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the driver does when the cluster has fewer free task slots than the world size: with
 * {@code cluster.allow_smaller_world}, go on with the largest world size that fits and splits the
 * global batch evenly; otherwise stop and say how to resume. The data order is a pure function of
 * (seed, step) whatever W is (docs/ARCHITECTURE.md §2 "Order"), so W may change between segments
 * without changing the trajectory. When the slots return, the world grows back to the configured
 * size at the next segment boundary.
 */
final class WorldSizeFallback {
  private static final Logger LOG = LoggerFactory.getLogger(WorldSizeFallback.class);

  private final RunConfig config;
  private final PrintStream console;

  WorldSizeFallback(RunConfig config, PrintStream console) {
    this.config = config;
    this.console = console;
  }

  /**
   * The world size to continue with from {@code step} after {@code e}.
   *
   * @throws InvalidInputException when no smaller world is allowed or fits, naming the last
   *     committed checkpoint and how to go on
   */
  int after(NotEnoughSlotsException e, int world, long step, String runDir) {
    int smaller = smallerWorld(e.availableSlots());
    if (!config.cluster().allowSmallerWorld() || smaller < 1 || smaller >= world) {
      String instead = config.cluster().allowSmallerWorld()
          ? ""
          : ", or set cluster.allow_smaller_world: true to continue with fewer ranks (same"
              + " global batch)";
      throw new InvalidInputException(
          String.format(
              "%s. %s Run the same command again when the cluster has %d free executors%s.",
              e.getMessage(), RetryPolicy.lastCheckpoint(step, runDir), world, instead));
    }
    LOG.warn(
        "only {} task slots for world size {}; cluster.allow_smaller_world: continuing"
            + " with world size {} (global batch {} kept) from step {}",
        e.availableSlots(), world, smaller, config.train().globalBatch(), step);
    console.printf(
        "igspark: only %d executors; continuing with world size %d from step %d%n",
        e.availableSlots(), smaller, step);
    return smaller;
  }

  /**
   * The world size for the segment from {@code step} of a world shrunk to {@code world}, when the
   * cluster offers {@code slots} task slots: the configured {@code cluster.world_size} once that
   * many are free (the lost executors came back), else the largest world between {@code world}
   * and it that the slots and the global batch allow. Growing back keeps the trajectory, as
   * shrinking does. {@code beforePrinting} runs before the console line (the live progress line
   * ends there).
   */
  int grownBack(int world, int slots, long step, Runnable beforePrinting) {
    int configured = config.cluster().worldSize();
    int target = slots >= configured ? configured : smallerWorld(slots);
    if (target <= world) {
      return world;
    }
    beforePrinting.run();
    LOG.warn("{} task slots again: growing from world size {} to {} (configured {}) from step {}",
        slots, world, target, configured, step);
    console.printf("igspark: %d executors again; continuing with world size %d from step %d%n",
        slots, target, step);
    return target;
  }

  /**
   * The largest world size ≤ {@code slots} that splits the global batch evenly (so the global
   * batch, and with it the trajectory, stays the same), or 0.
   */
  int smallerWorld(int slots) {
    for (int w = slots; w >= 1; w--) {
      if (config.train().globalBatch() % w == 0) {
        try {
          config.accumulationSteps(w);
          return w;
        } catch (InvalidInputException e) {
          // this W does not fit the batch: try a smaller one
        }
      }
    }
    return 0;
  }
}
