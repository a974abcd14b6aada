package ai.igspark.data;

/**
 * Bad input from a user: a file, a config key or a value that is not what was expected.
 *
 * <p>The message must name the file, key or value and say what was expected; the CLI prints it
 * without a stack trace. Use it only for problems the user can fix, never for bugs.
 */
public class InvalidInputException extends RuntimeException {
  public InvalidInputException(String message) {
    super(message);
  }

  public InvalidInputException(String message, Throwable cause) {
    super(message, cause);
  }
}
