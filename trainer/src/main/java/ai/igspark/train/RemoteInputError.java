package ai.igspark.train;

import ai.igspark.data.InvalidInputException;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A user's input error raised on an executor. Spark does not ship the exception itself to the
 * driver, only its text inside the job failure ("Job aborted due to stage failure: … 
 * ai.igspark.data.InvalidInputException: MESSAGE\n\tat …"); this finds it, so that the driver ends
 * with that message (exit 2) instead of retrying what cannot succeed.
 */
final class RemoteInputError {
  private static final Pattern REMOTE = Pattern.compile(
      Pattern.quote(InvalidInputException.class.getName()) + ": (.*?)(?:\\n\\s*at |\\nDriver stacktrace:|$)",
      Pattern.DOTALL);

  private RemoteInputError() {}

  /** The input error behind {@code failure}, raised here or on an executor; empty if none. */
  static Optional<InvalidInputException> in(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof InvalidInputException e) {
        return Optional.of(e);
      }
      Matcher m = REMOTE.matcher(String.valueOf(t.getMessage()));
      if (m.find()) {
        return Optional.of(new InvalidInputException(m.group(1).strip(), failure));
      }
    }
    return Optional.empty();
  }
}
