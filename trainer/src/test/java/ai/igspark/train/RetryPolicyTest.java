package ai.igspark.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.igspark.data.InvalidInputException;
import java.io.IOException;
import org.junit.jupiter.api.Test;

class RetryPolicyTest {
  private static final SegmentPlan SEGMENT = new SegmentPlan(3, 300, 400, "a1", 0);

  @Test
  void theBackoffDoublesWithEachFailureInARowUpToItsCap() {
    RetryPolicy retries = new RetryPolicy(10, 30, 100);

    assertEquals(30.0, retries.afterFailure(SEGMENT, "run", new IOException("1")));
    assertEquals(60.0, retries.afterFailure(SEGMENT, "run", new IOException("2")));
    assertEquals(100.0, retries.afterFailure(SEGMENT, "run", new IOException("3")));
    assertEquals(100.0, retries.afterFailure(SEGMENT, "run", new IOException("4")));
  }

  @Test
  void aCommittedSegmentStartsTheBackoffOverButKeepsTheTotal() {
    RetryPolicy retries = new RetryPolicy(2, 1, 600);
    retries.afterFailure(SEGMENT, "run", new IOException("1"));
    retries.afterFailure(SEGMENT, "run", new IOException("2"));

    retries.afterSuccess();

    assertEquals(1.0, retries.afterFailure(SEGMENT, "run", new IOException("3")));
    assertEquals(3, retries.retries());
  }

  @Test
  void moreFailuresInARowThanMaxRetriesEndTheRunNamingTheCheckpointAndTheCause() {
    RetryPolicy retries = new RetryPolicy(1, 0, 0);
    IOException cause = new IOException("disk gone");
    retries.afterFailure(SEGMENT, "/runs/x", new IOException("first"));

    var e = assertThrows(TrainDriver.TrainingFailedException.class,
        () -> retries.afterFailure(SEGMENT, "/runs/x", new RuntimeException("wrapped", cause)));

    assertTrue(e.getMessage().startsWith("segment 3 (steps 300-400) failed 2 times in a row;"),
        e.getMessage());
    assertTrue(e.getMessage().contains("step 300 in /runs/x"), e.getMessage());
    assertTrue(e.getMessage().endsWith("Last error: IOException: disk gone"), e.getMessage());
    assertSame(cause, e.getCause().getCause());
  }

  @Test
  void anInputErrorRaisedOnAnExecutorEndsTheRunWithItsOwnMessageAndNoRetry() {
    RetryPolicy retries = new RetryPolicy(5, 0, 0);
    // What Spark hands the driver: the executor's exception as text inside the job failure.
    RuntimeException sparkFailure = new RuntimeException(
        "Job aborted due to stage failure: Task 0 in stage 3.0 failed 1 times, most recent"
            + " failure: Lost task 0.0 (TID 7) (127.0.0.1 executor driver):"
            + " ai.igspark.data.InvalidInputException: shard-00001.safetensors: label 12 of row 3"
            + " is outside [0, 10)\n\tat ai.igspark.data.format.ShardLayout.checkLabels(x)\n"
            + "\nDriver stacktrace:\n\tat org.apache.spark.scheduler.DAGScheduler");
    var e = assertThrows(InvalidInputException.class,
        () -> retries.afterFailure(SEGMENT, "/runs/x", sparkFailure));
    assertEquals("shard-00001.safetensors: label 12 of row 3 is outside [0, 10)", e.getMessage());
    assertEquals(0, retries.retries());
  }

  @Test
  void anOrdinaryFailureIsStillRetried() {
    RetryPolicy retries = new RetryPolicy(5, 0, 0);
    retries.afterFailure(SEGMENT, "/runs/x", new RuntimeException("Connection reset"));
    assertEquals(1, retries.retries());
  }

  @Test
  void givingUpAtStepZeroSaysThereIsNoCheckpointYet() {
    RetryPolicy retries = new RetryPolicy(0, 0, 0);
    var e = assertThrows(TrainDriver.TrainingFailedException.class,
        () -> retries.afterFailure(new SegmentPlan(0, 0, 100, "a0", 0), "/runs/x",
            new RuntimeException("boom")));
    assertTrue(e.getMessage().contains("There is no committed checkpoint yet in /runs/x."),
        e.getMessage());
  }
}
