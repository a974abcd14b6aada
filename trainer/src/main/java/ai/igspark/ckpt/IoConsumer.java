package ai.igspark.ckpt;

import java.io.IOException;

/** A consumer that may throw {@link IOException}, e.g. code that writes one checkpoint file. */
@FunctionalInterface
public interface IoConsumer<T> {
  void accept(T value) throws IOException;
}
