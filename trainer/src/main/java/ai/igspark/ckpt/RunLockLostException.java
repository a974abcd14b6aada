package ai.igspark.ckpt;

import java.io.IOException;

/**
 * This driver no longer holds its run directory's lock: another driver took it over (this one's
 * heartbeat had stopped for longer than the timeout, e.g. a paused JVM or a partition) or its lock
 * file was removed. Nothing is committed, moved or deleted after this; never retried.
 */
public class RunLockLostException extends IOException {
  public RunLockLostException(String message) {
    super(message);
  }
}
