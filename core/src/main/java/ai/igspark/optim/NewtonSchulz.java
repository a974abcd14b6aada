package ai.igspark.optim;

import ai.djl.ndarray.NDArray;

/**
 * Muon's quintic Newton–Schulz orthogonalization (docs/METHOD.md §2.5): {@code X ← a·X + (b·A
 * + c·A²)·X} with {@code A = X·Xᵀ}, {@code (a, b, c) = (3.4445, −4.7750, 2.0315)}, after {@code X ←
 * X / (‖X‖_F + 1e-7)}, transposed while it has more rows than columns.
 *
 * <p>Deviation: the official iteration runs in bfloat16; DJL cannot hold bf16 tensors on CPU (JVM
 * abort), so this runs in float32. The result differs from the bf16 one by bf16 rounding only.
 */
public final class NewtonSchulz {
  static final float A = 3.4445f;
  static final float B = -4.7750f;
  static final float C = 2.0315f;

  private NewtonSchulz() {}

  /** Orthogonalizes the 2-D float32 matrix {@code g}; returns a new array of the same shape. */
  public static NDArray orthogonalize(NDArray g, int steps) {
    if (g.getShape().dimension() != 2) {
      throw new IllegalArgumentException("Newton-Schulz needs a 2-D matrix, got " + g.getShape());
    }
    boolean transposed = g.getShape().get(0) > g.getShape().get(1);
    NDArray x = transposed ? g.transpose() : g;
    x = x.div(x.square().sum().sqrt().add(1e-7f));
    for (int i = 0; i < steps; i++) {
      NDArray a = x.matMul(x.transpose());
      NDArray b = a.mul(B).add(a.matMul(a).mul(C));
      x = x.mul(A).add(b.matMul(x));
    }
    return transposed ? x.transpose() : x;
  }
}
