package ai.igspark.train;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.igspark.ckpt.CheckpointReader;
import ai.igspark.config.RunConfig;
import ai.igspark.model.ModelConfig;
import ai.igspark.spark.RankContext;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;

/**
 * A rank's data-parallel replicas, one per device it drives (docs/ARCHITECTURE.md §4.1), all
 * with the same weights: taken from the executor's warm cache when it holds this run at this
 * step, else loaded from the checkpoint (or initialised at step 0). The replicas are this
 * object's to close, unless {@link #keep} handed them back to the warm cache.
 */
final class ReplicaSet implements AutoCloseable {
  private final List<TrainingState> states;
  private final boolean warm;

  private ReplicaSet(List<TrainingState> states, boolean warm) {
    this.states = states;
    this.warm = warm;
  }

  /**
   * The replicas of {@code ctx}'s devices at {@code step}.
   *
   * @param resumeFrom the committed checkpoint directory of {@code step}, or null at step 0
   */
  static ReplicaSet takeOrLoad(
      RankContext ctx, RunConfig cfg, ModelConfig model, long step, String resumeFrom,
      Configuration conf) throws IOException {
    Optional<List<TrainingState>> cached = WarmCache.take(ctx.runId(), step);
    if (cached.isPresent() && cached.get().size() == ctx.devices().size()) {
      return new ReplicaSet(cached.get(), true);
    }
    cached.ifPresent(list -> list.forEach(TrainingState::close));
    List<TrainingState> loaded = new ArrayList<>();
    try {
      for (Device device : ctx.devices()) {
        loaded.add(
            TrainingState.create(
                model, cfg.train(), device, cfg.run().seed(),
                resumeFrom == null ? null : name -> open(resumeFrom, name, conf),
                step, resumeFrom));
      }
    } catch (IOException | RuntimeException e) {
      loaded.forEach(TrainingState::close);
      throw e;
    }
    return new ReplicaSet(loaded, false);
  }

  /** Whether the replicas came from the warm cache. */
  boolean warm() {
    return warm;
  }

  int size() {
    return states.size();
  }

  TrainingState get(int i) {
    return states.get(i);
  }

  /** Replica 0: the one rank 0 checkpoints, and whose norm decides clipping and skipping. */
  TrainingState lead() {
    return states.get(0);
  }

  /**
   * This rank's loss sums over its replicas (replica order, double) on a log step, read with one
   * transfer per replica; zeros otherwise, with the device-side sums dropped unread.
   */
  double[] lossSums(boolean read) {
    double[] sums = new double[3];
    for (TrainingState s : states) {
      if (read) {
        double[] r = s.step().takeLossSums();
        for (int i = 0; i < 3; i++) {
          sums[i] += r[i];
        }
      } else {
        s.step().discardLossSums();
      }
    }
    return sums;
  }

  /** Every replica's gradient arrays, replica by replica, in parameter order. */
  List<List<NDArray>> gradients() {
    List<List<NDArray>> grads = new ArrayList<>(states.size());
    for (TrainingState s : states) {
      grads.add(s.step().gradientArrays());
    }
    return grads;
  }

  /**
   * The update on every replica (identical gradients give identical results), each on its own
   * thread of {@code threads}, so the devices update at once. The global norm is read once, from
   * replica 0, and decides clipping and skipping on all of them.
   */
  UpdateResult applyUpdate(ReplicaThreads threads) {
    double norm = lead().step().gradientNorm();
    UpdateResult[] results = new UpdateResult[states.size()];
    List<Runnable> work = new ArrayList<>(states.size());
    for (int r = 0; r < states.size(); r++) {
      TrainingState s = states.get(r);
      int replica = r;
      work.add(() -> results[replica] = s.step().applyUpdate(norm));
    }
    threads.runAll(work);
    return results[0];
  }

  /** Hands the replicas to the executor's warm cache for the segment starting at {@code step}. */
  void keep(String runId, long step) {
    WarmCache.put(runId, step, states);
  }

  @Override
  public void close() {
    states.forEach(TrainingState::close);
  }

  private static InputStream open(String dir, String name, Configuration conf)
      throws IOException {
    // Verified against the checkpoint's manifest while it streams (docs/RELIABILITY.md).
    return CheckpointReader.open(new Path(dir, name).toString(), conf);
  }
}
