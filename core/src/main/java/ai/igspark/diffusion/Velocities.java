package ai.igspark.diffusion;

import ai.djl.ndarray.NDArray;

/**
 * The two outputs of one forward pass of an IG network (docs/METHOD.md §1).
 *
 * @param vFinal velocity of the final head, [N, C, H, W]
 * @param vIntermediate velocity of the intermediate (IG) head, same shape; {@code null} when the
 *     network has no IG head
 */
public record Velocities(NDArray vFinal, NDArray vIntermediate) {

  public boolean hasIntermediate() {
    return vIntermediate != null;
  }
}
