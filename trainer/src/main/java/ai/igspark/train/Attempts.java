package ai.igspark.train;

import ai.igspark.ckpt.CheckpointStore;
import ai.igspark.spark.RankResult;
import java.io.IOException;
import java.net.URI;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSError;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The driver's handling of one try's attempt directory besides the commit: removing a failed
 * try's files before the retry, and renaming the directory of a segment that a preemption ended
 * early to the step it reached, which is then committed like any other.
 */
final class Attempts {
  private static final Logger LOG = LoggerFactory.getLogger(Attempts.class);

  private final CheckpointStore store;
  private final Configuration conf;

  Attempts(CheckpointStore store, Configuration conf) {
    this.store = store;
    this.conf = conf;
  }

  URI uri(SegmentPlan plan) {
    return store.attemptUri(plan.to(), plan.attempt());
  }

  /**
   * The plan of what the ranks trained: {@code plan} itself, or, when they stopped early at the
   * same step S (preemption), the plan ending at S with its attempt directory renamed to S's.
   */
  SegmentPlan endingAt(SegmentPlan plan, List<RankResult<SegmentReport>> results)
      throws IOException {
    long reached = results.get(0).value().endStep();
    for (RankResult<SegmentReport> r : results) {
      if (r.value().endStep() != reached) {
        throw new IllegalStateException("ranks stopped at different steps: rank 0 at " + reached
            + ", rank " + r.value().rank() + " at " + r.value().endStep());
      }
    }
    if (reached == plan.to()) {
      return plan;
    }
    if (reached <= plan.from() || reached > plan.to()) {
      throw new IllegalStateException("segment " + plan.index() + " ended at step " + reached
          + ", outside its steps " + plan.from() + "-" + plan.to());
    }
    Path from = new Path(uri(plan));
    Path to = new Path(store.attemptUri(reached, plan.attempt()));
    if (!from.getFileSystem(conf).rename(from, to)) {
      throw new IOException("cannot rename " + from + " to " + to);
    }
    return new SegmentPlan(plan.index(), plan.from(), reached, plan.attempt(), plan.startNanos());
  }

  /** Removes a failed try's attempt directory (under either name); failures only log. */
  void discard(SegmentPlan plan) {
    try {
      Path dir = new Path(uri(plan));
      FileSystem fs = dir.getFileSystem(conf);
      if (fs.exists(dir)) {
        fs.delete(dir, true);
      }
    } catch (IOException | FSError e) {
      LOG.warn("cannot remove the failed attempt {} (removed at the next start): {}",
          uri(plan), e.toString());
    }
  }
}
