package ai.igspark.spark.metrics;

import ai.igspark.metrics.EvalRecord;
import ai.igspark.metrics.MetricsRecord;
import ai.igspark.metrics.RetryRecord;
import ai.igspark.metrics.SegmentRecord;
import ai.igspark.metrics.TrainRecord;
import com.codahale.metrics.Gauge;
import com.codahale.metrics.MetricRegistry;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The latest training scalars of the driver's metrics records as Dropwizard gauges (names in
 * docs/METRICS.md §8): what the last {@code train} and {@code segment} records said, the number
 * of segment retries and of failed evaluations, and every evaluation metric, its gauge created when the metric first
 * appears. A gauge nothing has set yet reads NaN (the retry count reads 0). Records are handed in by the driver's metrics
 * log; the metrics system's sinks read the gauges from their own threads.
 */
public final class TrainingGauges {
  /** The gauges that exist from the start (the plugin's source must not be empty). */
  public static final List<String> FIXED = List.of(
      "step", "epoch", "loss", "loss_final", "loss_ig", "loss_cos", "grad_norm", "lr",
      "samples_per_s", "skipped_steps", "world_size", "segment", "segment_seconds",
      "segment_commit_seconds", "retries");

  private final MetricRegistry registry;
  private final Map<String, Latest> gauges = new ConcurrentHashMap<>();
  private long retries;
  private long evalFailures;

  TrainingGauges(MetricRegistry registry) {
    this.registry = registry;
    FIXED.forEach(this::gauge);
    set("retries", 0L); // a count, not a reading: zero until the first retry
  }

  /** Sets the gauges {@code record} carries a value for; other kinds are ignored. */
  public synchronized void accept(MetricsRecord record) {
    if (record instanceof TrainRecord t) {
      set("step", t.step());
      set("epoch", t.epoch());
      set("loss", t.loss());
      set("loss_final", t.lossFinal());
      set("loss_ig", t.lossIg());
      set("loss_cos", t.lossCos());
      set("grad_norm", t.gradNorm());
      set("lr", t.lr());
      set("samples_per_s", t.samplesPerS());
      set("skipped_steps", t.skippedSteps());
      set("world_size", t.worldSize());
    } else if (record instanceof SegmentRecord s) {
      set("segment", s.segment());
      set("segment_seconds", s.seconds());
      set("segment_commit_seconds", s.commitSeconds());
    } else if (record instanceof RetryRecord) {
      set("retries", ++retries);
    } else if (record instanceof EvalRecord e) {
      evaluation(e);
    }
  }

  /** One evaluation: its metric under its own name ({@code eval_fid}, {@code eval_fd_fmnist}). */
  private void evaluation(EvalRecord e) {
    if (e.error() != null) {
      set("eval_failures", ++evalFailures);
      return;
    }
    if (e.value() == null) {
      return;
    }
    set("eval_step", e.step());
    set("eval_" + e.metric(), e.value());
    setIfPresent("eval_sfid", e.sfid());
    setIfPresent("eval_inception_score", e.inceptionScore());
    setIfPresent("eval_classifier_score", e.classifierScore());
    setIfPresent("eval_precision", e.precision());
    setIfPresent("eval_recall", e.recall());
    setIfPresent("eval_seconds", e.seconds());
  }

  private void setIfPresent(String name, Double value) {
    if (value != null) {
      set(name, value);
    }
  }

  private void set(String name, Number value) {
    gauge(name).value = value;
  }

  private Latest gauge(String name) {
    return gauges.computeIfAbsent(name, n -> registry.register(n, new Latest()));
  }

  /** The last value set; volatile because sinks read it from their own threads. */
  private static final class Latest implements Gauge<Number> {
    private volatile Number value = Double.NaN;

    @Override
    public Number getValue() {
      return value;
    }
  }
}
