package ai.igspark.model;

/**
 * The fixed 2D sin-cos position embedding ({@code pos_embed}, docs/METHOD.md §4.1): for token (row,
 * col) the first D/2 dims encode the column and the last D/2 the row; each half is [sin(pos·ω_k),
 * cos(pos·ω_k)] with ω_k = 10000^(−k/(D/4)), k = 0..D/4−1. Computed in float64 like numpy.
 */
final class PositionEmbedding {
  private PositionEmbedding() {}

  /** [T, D] row-major, tokens in (row, column) order. */
  static float[] sinCos2d(int hidden, int grid) {
    int quarter = hidden / 4;
    float[] out = new float[grid * grid * hidden];
    for (int row = 0; row < grid; row++) {
      for (int col = 0; col < grid; col++) {
        int base = (row * grid + col) * hidden;
        for (int k = 0; k < quarter; k++) {
          double omega = 1.0 / Math.pow(10000, (double) k / quarter);
          out[base + k] = (float) Math.sin(col * omega);
          out[base + quarter + k] = (float) Math.cos(col * omega);
          out[base + 2 * quarter + k] = (float) Math.sin(row * omega);
          out[base + 3 * quarter + k] = (float) Math.cos(row * omega);
        }
      }
    }
    return out;
  }
}
