package ai.igspark.cli;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;

/**
 * A {@link PrintStream} that writes into a command line's {@link PrintWriter}, for the parts that
 * print to a stream (the training driver, the progress bar): every command prints through its
 * picocli writer, so a test or an embedding program that sets the writer sees all the output.
 */
final class CommandOutput {
  private CommandOutput() {}

  /** Bytes are UTF-8; each array write holds whole characters, as PrintStream writes them. */
  static PrintStream stream(PrintWriter writer) {
    ByteArrayOutputStream bytes =
        new ByteArrayOutputStream() {
          @Override
          public synchronized void write(byte[] b, int off, int len) {
            super.write(b, off, len);
            forward();
          }

          @Override
          public synchronized void flush() {
            forward();
            writer.flush();
          }

          private void forward() {
            writer.write(toString(StandardCharsets.UTF_8));
            reset();
          }
        };
    return new PrintStream(bytes, true, StandardCharsets.UTF_8);
  }
}
