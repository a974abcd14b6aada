package ai.igspark.ckpt;

/** How a training driver treats what its run directory already holds (docs/checkpoints.md). */
public enum RunStart {
  /** A new run, or the resume of the one there: what the same command started again does. */
  NEW_OR_RESUME,
  /** {@code train --resume}: only a resume; without a checkpoint refused, nothing written. */
  RESUME,
  /**
   * {@code train --restart}: from step 0; whatever the run directory holds (run.yaml, metrics,
   * checkpoints, eval output) is first moved to {@code restarted-<UTC time>/}, never deleted.
   */
  RESTART
}
