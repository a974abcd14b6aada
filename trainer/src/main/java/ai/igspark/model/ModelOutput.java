package ai.igspark.model;

import ai.djl.ndarray.NDArray;

/**
 * Both velocities of one forward pass, [N, C, H, W], in the model's own time convention.
 *
 * @param vFinal the final head D_f
 * @param vIntermediate the IG head D_i read after block ig_depth; null when ig_depth is 0
 */
public record ModelOutput(NDArray vFinal, NDArray vIntermediate) {}
