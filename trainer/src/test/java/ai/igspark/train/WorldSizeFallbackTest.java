package ai.igspark.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.igspark.config.RunConfig;
import ai.igspark.data.InvalidInputException;
import ai.igspark.spark.NotEnoughSlotsException;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WorldSizeFallbackTest {
  @TempDir Path dir;
  private final ByteArrayOutputStream console = new ByteArrayOutputStream();

  private WorldSizeFallback fallback(String cluster) throws Exception {
    Path config = TinyRun.withCluster(
        TinyRun.config(dir, "w", dir.resolve("run").toString(), "data/dataset.json", 4, 2, 4),
        cluster);
    return new WorldSizeFallback(RunConfig.load(config),
        new PrintStream(console, true, StandardCharsets.UTF_8));
  }

  @Test
  void theLargestWorldThatSplitsTheGlobalBatchIsChosen() throws Exception {
    WorldSizeFallback fallback = fallback("{world_size: 8, allow_smaller_world: true}");

    assertEquals(4, fallback.smallerWorld(7)); // global batch 8: 7, 6, 5 do not divide it
    assertEquals(2, fallback.smallerWorld(3));
    assertEquals(1, fallback.smallerWorld(1));
  }

  @Test
  void withTheFlagTheDriverGoesOnWithFewerRanksAndSaysSo() throws Exception {
    WorldSizeFallback fallback = fallback("{world_size: 8, allow_smaller_world: true}");

    int world = fallback.after(NotEnoughSlotsException.tooFew(8, 3, 1000), 8, 200, "run");

    assertEquals(2, world);
    assertEquals("igspark: only 3 executors; continuing with world size 2 from step 200\n",
        console.toString(StandardCharsets.UTF_8));
  }

  @Test
  void withoutTheFlagTheRunStopsSayingHowToResume() throws Exception {
    WorldSizeFallback fallback = fallback("{world_size: 8}");

    var e = assertThrows(InvalidInputException.class,
        () -> fallback.after(NotEnoughSlotsException.tooFew(8, 3, 1000), 8, 200, "/runs/x"));

    assertTrue(e.getMessage().startsWith("world size 8 needs 8 concurrent task slots"),
        e.getMessage());
    assertTrue(e.getMessage().contains(". The last committed checkpoint is step 200 in /runs/x."
        + " Run the same command again when the cluster has 8 free executors"), e.getMessage());
    assertTrue(e.getMessage().contains("cluster.allow_smaller_world: true"), e.getMessage());
  }

  @Test
  void atStepZeroItSaysThereIsNoCheckpointYet() throws Exception {
    WorldSizeFallback fallback = fallback("{world_size: 8}");
    var e = assertThrows(InvalidInputException.class,
        () -> fallback.after(NotEnoughSlotsException.tooFew(8, 3, 1000), 8, 0, "/runs/x"));
    assertTrue(e.getMessage().contains("There is no committed checkpoint yet in /runs/x."),
        e.getMessage());
    assertFalse(e.getMessage().contains("checkpoint is step 0"), e.getMessage());
  }

  @Test
  void aShrunkWorldGrowsBackToTheConfiguredSizeOnceTheSlotsReturnAndSaysSo() throws Exception {
    WorldSizeFallback fallback = fallback("{world_size: 8, allow_smaller_world: true}");

    assertEquals(8, fallback.grownBack(2, 8, 400, () -> {}));

    assertEquals("igspark: 8 executors again; continuing with world size 8 from step 400\n",
        console.toString(StandardCharsets.UTF_8));
  }

  @Test
  void aShrunkWorldGrowsPartWayWhenSomeSlotsReturn() throws Exception {
    WorldSizeFallback fallback = fallback("{world_size: 8, allow_smaller_world: true}");

    // global batch 8: 7, 6, 5 do not divide it
    assertEquals(4, fallback.grownBack(1, 7, 400, () -> {}));
  }

  @Test
  void theWorldStaysAsItIsWhenNoLargerOneFitsAndNeverExceedsTheConfiguredSize()
      throws Exception {
    WorldSizeFallback fallback = fallback("{world_size: 8, allow_smaller_world: true}");

    assertEquals(4, fallback.grownBack(4, 7, 400, () -> {}));
    assertEquals(2, fallback.grownBack(2, 2, 400, () -> {}));
    assertEquals(8, fallback.grownBack(8, 16, 400, () -> {}));
    assertEquals("", console.toString(StandardCharsets.UTF_8));
  }
}
