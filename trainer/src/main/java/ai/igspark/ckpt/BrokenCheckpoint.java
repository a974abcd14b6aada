package ai.igspark.ckpt;

/**
 * A checkpoint that failed verification and was moved aside by {@link CheckpointStore#recover}.
 *
 * @param step the step it was committed for
 * @param reason what failed (file, and which check)
 * @param movedTo where it is now ({@code checkpoints/step-N.broken-<UTC time>})
 */
public record BrokenCheckpoint(long step, String reason, String movedTo) {}
