package ai.igspark.tensor;

import ai.djl.pytorch.jni.JniUtils;

/**
 * Turns libtorch's grad mode off on this thread for a block, restoring the previous mode on close.
 * Grad mode is thread-local and a fresh thread (a Spark task) starts with it ON
 * (docs/PLATFORM.md §1), where in-place updates of parameters that require grad are refused.
 */
public final class GradModeOff implements AutoCloseable {
  private final boolean previous;

  public GradModeOff() {
    previous = JniUtils.isGradMode();
    JniUtils.setGradMode(false);
  }

  @Override
  public void close() {
    JniUtils.setGradMode(previous);
  }
}
