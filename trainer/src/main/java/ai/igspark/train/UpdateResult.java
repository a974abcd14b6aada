package ai.igspark.train;

/**
 * What {@link TrainStep#applyUpdate()} did.
 *
 * @param step 1-based index of this update (counts skipped ones too)
 * @param lr learning rate used
 * @param gradNorm global gradient norm before clipping; NaN or ∞ when a gradient was not finite
 * @param applied false when the update was skipped because the gradient was not finite
 */
public record UpdateResult(long step, float lr, double gradNorm, boolean applied) {}
