package ai.igspark.ckpt;

import java.io.IOException;

/**
 * A checkpoint's files do not match what was reported or recorded (missing file, wrong size,
 * wrong SHA-256, unreadable manifest). Not transient: commits do not retry it.
 */
public class CheckpointIntegrityException extends IOException {
  public CheckpointIntegrityException(String message) {
    super(message);
  }

  public CheckpointIntegrityException(String message, Throwable cause) {
    super(message, cause);
  }
}
