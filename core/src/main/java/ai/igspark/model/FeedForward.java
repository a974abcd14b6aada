package ai.igspark.model;

import ai.djl.ndarray.NDArray;

/** The block's token-wise MLP: SiT's GELU-tanh {@link Mlp} or LightningDiT's {@link SwiGlu}. */
interface FeedForward {
  NDArray forward(NDArray x);
}
