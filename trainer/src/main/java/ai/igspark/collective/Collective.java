package ai.igspark.collective;

import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.time.Duration;

/**
 * A group of ranks that sum float32 buffers together (docs/ARCHITECTURE.md §4).
 *
 * <p>Every rank calls the same operations in the same order with buffers of the same length. A
 * call returns when this rank holds the result; every rank then holds bitwise-identical values.
 * Any failure (a dead or silent peer, a deadline, a protocol error) throws {@link
 * CollectiveException} and leaves the collective closed: the task must fail and the driver retries
 * the segment (docs/ARCHITECTURE.md §9.2, "Failure discipline").
 *
 * <p>Not thread-safe: one thread drives a collective.
 */
public interface Collective extends AutoCloseable {

  /**
   * Which deadline a call runs under. A rank that is still writing a checkpoint must not be taken
   * for a dead one (docs/ARCHITECTURE.md §9.1, ai2cm/ace #851), so calls that may wait
   * for such a rank (the barrier after a checkpoint write) use {@link #CHECKPOINT}.
   */
  enum Phase {
    /** Gradient all-reduce inside the training loop: a short deadline. */
    STEP,
    /** Around checkpoint writing and loading: a long deadline. */
    CHECKPOINT
  }

  /** This rank, in {@code [0, worldSize())}. */
  int rank();

  int worldSize();

  /**
   * Replaces {@code data[position, limit)} by its element-wise sum over all ranks, in place.
   * The buffer's position and limit are left unchanged. Callers that hold the underlying byte
   * buffer should pass it to {@link #allReduceSum(ByteBuffer, Phase)} instead, which can avoid
   * copies.
   */
  void allReduceSum(FloatBuffer data, Phase phase);

  /**
   * The same over the floats in {@code data[position, limit)}, read in the buffer's byte order;
   * the byte count must be a multiple of 4. A direct little-endian buffer (e.g. DJL's {@code
   * toByteBuffer(true)} on x86 and ARM) lets an implementation send and receive in place, with no
   * staging copy. The buffer's position and limit are left unchanged.
   */
  default void allReduceSum(ByteBuffer data, Phase phase) {
    if (data.remaining() % 4 != 0) {
      throw new IllegalArgumentException(
          "all-reduce needs whole floats, got " + data.remaining() + " bytes");
    }
    allReduceSum(data.duplicate().order(data.order()).asFloatBuffer(), phase);
  }

  default void allReduceSum(FloatBuffer data) {
    allReduceSum(data, Phase.STEP);
  }

  default void allReduceSum(float[] data, Phase phase) {
    allReduceSum(FloatBuffer.wrap(data), phase);
  }

  default void allReduceSum(float[] data) {
    allReduceSum(FloatBuffer.wrap(data), Phase.STEP);
  }

  /** Returns once every rank has called {@code barrier}; waits up to the phase's deadline. */
  default void barrier(Phase phase) {
    allReduceSum(new float[1], phase);
  }

  /** Closes every connection. Idempotent. */
  @Override
  void close();

  /** A collective operation failed; the collective is closed and cannot be used again. */
  class CollectiveException extends RuntimeException {
    public CollectiveException(String message) {
      super(message);
    }

    public CollectiveException(String message, Throwable cause) {
      super(message, cause);
    }
  }

  /** A peer did not send or accept data within the phase's deadline. */
  class DeadlineExceededException extends CollectiveException {
    private final Duration deadline;

    public DeadlineExceededException(String message, Duration deadline) {
      super(message);
      this.deadline = deadline;
    }

    public Duration deadline() {
      return deadline;
    }
  }
}
