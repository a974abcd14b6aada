package ai.igspark.train;

import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Where a rank's replicas run forward and backward (docs/ARCHITECTURE.md §4.2 step 2): one thread
 * per replica, so the GPUs of an executor compute at once, or the caller's thread for a single
 * replica (and, in tests, {@link #serial} for the reference order). Work submitted for replica i
 * always runs on thread i, so a replica's arrays never change threads mid-step.
 *
 * <p>Each thread starts with the caller's libtorch intra-op thread count: a fresh thread would
 * otherwise get OpenMP's default, which may cut CPU reductions differently and change bits.
 */
final class ReplicaThreads implements AutoCloseable {
  private final List<ExecutorService> threads;

  private ReplicaThreads(List<ExecutorService> threads) {
    this.threads = threads;
  }

  /** One thread per replica when there are several; the caller's thread for one. */
  static ReplicaThreads forReplicas(int replicas) {
    if (replicas <= 1) {
      return serial();
    }
    Engine.getInstance(); // loads libtorch, whose thread count is read next
    int intraOp = JniUtils.getNumThreads();
    List<ExecutorService> threads = new ArrayList<>();
    for (int i = 0; i < replicas; i++) {
      String name = "igspark-replica-" + i;
      ExecutorService t = Executors.newSingleThreadExecutor(r -> {
        Thread thread = new Thread(r, name);
        thread.setDaemon(true);
        return thread;
      });
      t.execute(() -> JniUtils.setNumThreads(intraOp));
      threads.add(t);
    }
    return new ReplicaThreads(List.copyOf(threads));
  }

  /** Every replica on the caller's thread, one after another, in replica order. */
  static ReplicaThreads serial() {
    return new ReplicaThreads(List.of());
  }

  /** Whether replicas run on threads of their own. */
  boolean parallel() {
    return !threads.isEmpty();
  }

  /**
   * Runs {@code work[i]} for every replica i and returns when all are done. A replica's failure
   * is rethrown after the others have finished (the first in replica order), so no replica is
   * still writing its gradients when the step is abandoned.
   */
  void runAll(List<Runnable> work) {
    if (threads.isEmpty()) {
      work.forEach(Runnable::run);
      return;
    }
    if (work.size() != threads.size()) {
      throw new IllegalArgumentException(
          work.size() + " pieces of work for " + threads.size() + " replica threads");
    }
    List<Future<?>> done = new ArrayList<>();
    for (int i = 0; i < work.size(); i++) {
      done.add(threads.get(i).submit(work.get(i)));
    }
    RuntimeException first = null;
    boolean interrupted = false;
    for (int i = 0; i < done.size(); i++) {
      while (true) {
        try {
          done.get(i).get();
          break;
        } catch (ExecutionException e) {
          if (first == null) {
            first = asRuntime(i, e.getCause());
          }
          break;
        } catch (InterruptedException e) {
          interrupted = true; // still wait: the replica is writing its gradients
        }
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
    if (first != null) {
      throw first;
    }
  }

  private static RuntimeException asRuntime(int replica, Throwable cause) {
    if (cause instanceof RuntimeException r) {
      return r;
    }
    if (cause instanceof Error e) {
      throw e;
    }
    return new IllegalStateException("replica " + replica + " failed: " + cause, cause);
  }

  @Override
  public void close() {
    threads.forEach(ExecutorService::shutdownNow);
  }
}
