package ai.igspark.ckpt;

import java.io.IOException;

/**
 * Checked before a write that only the run lock's holder may make (docs/checkpoints.md "Run
 * lock"): moving a checkpoint into place, moving LATEST, retention, removing attempts, appending
 * metrics. A driver that lost the lock fails the check with {@link RunLockLostException}; an I/O
 * error while checking is an ordinary (retryable) {@link IOException}.
 */
@FunctionalInterface
public interface Fence {
  /** No lock: every write allowed (tests, tools on a run no driver holds). */
  Fence NONE = action -> {};

  /** Throws unless the write described by {@code action} may go ahead. */
  void check(String action) throws IOException;
}
