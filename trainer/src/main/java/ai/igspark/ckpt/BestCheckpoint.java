package ai.igspark.ckpt;

import ai.igspark.config.RunConfig.KeepBest;
import ai.igspark.metrics.EvalMetric;
import ai.igspark.metrics.EvalRecord;
import ai.igspark.metrics.MetricsJson;
import ai.igspark.metrics.MetricsRecord;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Which committed checkpoint {@code checkpoint.keep_best} protects from retention: among the
 * run's {@code eval} records of steps that are still committed, the one with the best value of
 * the metric; ties go to the earliest step. Steps without an evaluation take no part. The records
 * are read from the run's metrics at every prune (what a resumed driver sees too), plus those the
 * driver appended in this session ({@link #accept}), which a failing file system may still hold.
 * The best is logged whenever it changes (docs/checkpoints.md "Best checkpoint").
 */
final class BestCheckpoint {
  private static final System.Logger LOG = System.getLogger(BestCheckpoint.class.getName());

  /** The run's metrics records (RunDirectory#readMetrics). */
  @FunctionalInterface
  interface Records {
    List<JsonNode> read() throws IOException;
  }

  /** The best step and its value. */
  record Best(long step, double value) {}

  private final KeepBest rule;
  private final EvalMetric metric;
  private final Records records;
  private final List<EvalRecord> appended = new ArrayList<>();
  private Best reported;

  BestCheckpoint(KeepBest rule, Records records) {
    this.rule = rule;
    this.metric =
        EvalMetric.byKey(rule.metric())
            .orElseThrow(() -> new IllegalArgumentException("unknown metric " + rule.metric()));
    this.records = records;
  }

  /** Notes an {@code eval} record the driver appends; the best is logged if it changed. */
  synchronized void accept(MetricsRecord record) {
    if (record instanceof EvalRecord r && metric.valueIn(r).isPresent()) {
      appended.add(r);
      Optional<Best> best = pick(appended, null);
      if (reported == null
          || best.isPresent() && rule.better(best.get().value(), reported.value())) {
        report(best);
      }
    }
  }

  /**
   * The best among {@code committed} steps, empty when none has an evaluation with this metric.
   *
   * @throws IOException the metrics cannot be read: then nothing may be pruned
   */
  synchronized Optional<Best> among(Collection<Long> committed) throws IOException {
    List<EvalRecord> evals = new ArrayList<>(appended);
    for (JsonNode node : records.read()) {
      if ("eval".equals(node.path(MetricsJson.KIND).asText())) {
        try {
          if (MetricsJson.fromTree(node) instanceof EvalRecord r) {
            evals.add(r);
          }
        } catch (IOException e) {
          throw new IOException("checkpoint.keep_best: an eval record of the run's metrics cannot"
              + " be read (" + e.getMessage() + "); retention deletes nothing until it can: "
              + node, e);
        }
      }
    }
    Optional<Best> best = pick(evals, new HashSet<>(committed));
    if (!best.equals(Optional.ofNullable(reported))) {
      report(best);
    }
    return best;
  }

  /** The best record of {@code evals} (of {@code steps} only, unless null); ties: earliest. */
  private Optional<Best> pick(List<EvalRecord> evals, Set<Long> steps) {
    Best best = null;
    for (EvalRecord r : evals) {
      Optional<Double> v = metric.valueIn(r);
      if (v.isEmpty() || steps != null && !steps.contains(r.step())) {
        continue;
      }
      if (best == null
          || rule.better(v.get(), best.value())
          || v.get() == best.value() && r.step() < best.step()) {
        best = new Best(r.step(), v.get());
      }
    }
    return Optional.ofNullable(best);
  }

  private void report(Optional<Best> best) {
    if (best.isEmpty()) {
      if (reported != null) {
        LOG.log(System.Logger.Level.WARNING, "checkpoint.keep_best: no committed checkpoint has"
            + " an evaluation with " + metric + " any more (was " + describe(reported) + ")");
      }
    } else {
      LOG.log(System.Logger.Level.INFO, "checkpoint.keep_best: the best checkpoint is now "
          + describe(best.get()) + (reported != null ? " (was " + describe(reported) + ")" : ""));
    }
    reported = best.orElse(null);
  }

  private String describe(Best b) {
    return CheckpointStore.stepName(b.step()) + ", " + metric + " " + b.value();
  }
}
