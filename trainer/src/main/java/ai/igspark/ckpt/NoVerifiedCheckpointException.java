package ai.igspark.ckpt;

import ai.igspark.data.InvalidInputException;

/**
 * A run has checkpoints but none of them verifies: training cannot resume, and starting over
 * silently would throw the run away. The message lists every checkpoint and why it failed.
 */
public class NoVerifiedCheckpointException extends InvalidInputException {
  public NoVerifiedCheckpointException(String message) {
    super(message);
  }
}
