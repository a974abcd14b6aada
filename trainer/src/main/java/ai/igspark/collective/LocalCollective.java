package ai.igspark.collective;

import java.nio.FloatBuffer;

/** World size 1: the sum over one rank is the buffer itself, so every operation is a no-op. */
public final class LocalCollective implements Collective {
  private volatile boolean closed;

  @Override
  public int rank() {
    return 0;
  }

  @Override
  public int worldSize() {
    return 1;
  }

  @Override
  public void allReduceSum(FloatBuffer data, Phase phase) {
    if (closed) {
      throw new CollectiveException("local collective is closed");
    }
  }

  @Override
  public void close() {
    closed = true;
  }

  @Override
  public String toString() {
    return "LocalCollective[rank 0 of 1]";
  }
}
