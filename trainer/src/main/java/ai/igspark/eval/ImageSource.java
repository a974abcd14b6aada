package ai.igspark.eval;

/**
 * Where images to evaluate come from, streamed in batches: an ADM {@code .npz} ({@link
 * NpzImages}). Sampled checkpoints do not pass through here: {@link SampleEvaluationJob} reduces
 * their features on the executors.
 */
public interface ImageSource extends AutoCloseable {

  /** Total number of images, when known in advance; −1 otherwise. */
  long count();

  /** The next at most {@code max} images, or null when there are no more. */
  ImageBatch next(int max);

  /** Names the source in messages (file and key). */
  String description();

  @Override
  void close();
}
