package ai.igspark.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.core.Embedding;

/**
 * {@code y_embedder}: a (num_classes + 1) × D table, N(0, 0.02); the last row is the null class
 * that CFG's unconditional rows use. Class dropout is the caller's job (labels arrive dropped).
 */
final class LabelEmbedder {
  private final ModelState state;
  private final String table;

  LabelEmbedder(ModelState state, String prefix, int numClasses, int hidden) {
    this.state = state;
    this.table = prefix + "embedding_table.weight";
    state.trainable(table, new Shape(numClasses + 1L, hidden), Init.normal(0.02));
  }

  NDArray forward(NDArray y) {
    return Embedding.embedding(y, state.get(table), SparseFormat.DENSE).singletonOrThrow();
  }
}
