package ai.igspark.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.igspark.metrics.StepRecord;
import org.junit.jupiter.api.Test;

class StepReporterTest {
  private final StepReporter reporter = new StepReporter(null, steps -> steps / 4.0, 8);
  private final UpdateResult update = new UpdateResult(6, 1.0e-4f, 2.5, true);

  @Test
  void aLogStepCarriesTheMeanLossesOverTheGlobalBatch() {
    StepRecord r = reporter.record(5, new double[] {4.0, 2.0, 0.0}, update, 0.5, 1);

    assertEquals(new StepRecord(6, 1.5, 0.5, 0.25, 0.0, 2.5, 1.0e-4f, 16.0, 1, true), r);
  }

  @Test
  void otherStepsLeaveTheLossesOut() {
    StepRecord r = reporter.record(5, null, update, 0.5, 1);

    assertEquals(new StepRecord(6, 1.5, null, null, null, 2.5, 1.0e-4f, 16.0, 1, true), r);
  }
}
