package ai.igspark.ckpt;

import java.io.IOException;

/**
 * A commit gave up after its bounded retries. The previous committed checkpoint (LATEST) is
 * untouched; the new step is not visible through LATEST.
 */
public class CheckpointCommitException extends IOException {
  public CheckpointCommitException(String message, Throwable cause) {
    super(message, cause);
  }
}
