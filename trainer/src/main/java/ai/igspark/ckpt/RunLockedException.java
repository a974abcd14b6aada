package ai.igspark.ckpt;

import ai.igspark.data.InvalidInputException;

/**
 * Another live driver holds the run directory's lock: this one is refused before it reads or
 * writes anything there. The message names the holder (host, pid, Spark application, start time,
 * last heartbeat) and the lock file.
 */
public class RunLockedException extends InvalidInputException {
  public RunLockedException(String message) {
    super(message);
  }
}
