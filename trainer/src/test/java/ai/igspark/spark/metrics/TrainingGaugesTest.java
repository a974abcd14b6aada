package ai.igspark.spark.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.igspark.metrics.EvalRecord;
import ai.igspark.metrics.RetryRecord;
import ai.igspark.metrics.SegmentRecord;
import ai.igspark.metrics.TrainRecord;
import com.codahale.metrics.MetricRegistry;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The latest training scalars as Dropwizard gauges, without Spark. */
class TrainingGaugesTest {
  private final MetricRegistry registry = new MetricRegistry();
  private final TrainingGauges gauges = new TrainingGauges(registry);

  private Object value(String name) {
    assertTrue(registry.getGauges().containsKey(name), name + " in " + registry.getNames());
    return registry.getGauges().get(name).getValue();
  }

  @Test
  void everyFixedGaugeExistsBeforeTheFirstRecordAndReadsNaN() {
    assertEquals(TrainingGauges.FIXED.size(), registry.getGauges().size());
    for (String name : TrainingGauges.FIXED) {
      assertEquals(name.equals("retries") ? (Object) 0L : (Object) Double.NaN, value(name), name);
    }
  }

  @Test
  void aTrainRecordSetsTheTrainingScalars() {
    gauges.accept(new TrainRecord(12, 0.25, 0.5, 0.375, 0.125, 0.0, 2.5, 3.0e-4, 96.5, 1, 2,
        "2025-01-01T00:00:00Z"));
    Map<String, Object> expected = Map.of("step", 12L, "epoch", 0.25, "loss", 0.5,
        "loss_final", 0.375, "loss_ig", 0.125, "grad_norm", 2.5, "lr", 3.0e-4,
        "samples_per_s", 96.5, "skipped_steps", 1L, "world_size", 2);
    expected.forEach((name, v) -> assertEquals(v, value(name), name));
  }

  @Test
  void aSegmentRecordSetsItsTimingsAndRetriesAreCounted() {
    gauges.accept(new SegmentRecord(20, 1, "a1", 7.5, 1.25, 0.5, true, 0, "t"));
    gauges.accept(new RetryRecord(20, 2, "a2", "executor lost", 0.0, "t"));
    gauges.accept(new RetryRecord(20, 2, "a3", "executor lost", 0.0, "t"));
    assertEquals(1L, value("segment"));
    assertEquals(7.5, value("segment_seconds"));
    assertEquals(0.5, value("segment_commit_seconds"));
    assertEquals(2L, value("retries"));
  }

  @Test
  void anEvaluationMetricGetsItsGaugeWhenItFirstAppears() {
    assertFalse(registry.getGauges().containsKey("eval_fid"));
    gauges.accept(new EvalRecord(40, EvalRecord.FID, 31.5, 40.25, 12.0, null, 0.6, null, null,
        null, null, null, null, null, null, 9.0, null, "t"));
    assertEquals(31.5, value("eval_fid"));
    assertEquals(40.25, value("eval_sfid"));
    assertEquals(12.0, value("eval_inception_score"));
    assertEquals(0.6, value("eval_precision"));
    assertEquals(40L, value("eval_step"));
    assertFalse(registry.getGauges().containsKey("eval_recall"), "not computed, no gauge");
  }

  @Test
  void aFailedEvaluationCountsAsAFailureAndLeavesTheMetricsAlone() {
    gauges.accept(EvalRecord.failed(40, "decoder violates its contract", "t"));
    assertEquals(1L, value("eval_failures"));
    assertFalse(registry.getGauges().containsKey("eval_step"));
  }
}
