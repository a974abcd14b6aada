package ai.igspark.metrics;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/** A rank's end of the {@link MetricsStream}: one JSON line per {@link #publish} call. */
public final class MetricsPublisher implements AutoCloseable {

  private final Socket socket;
  private final OutputStream out;

  private MetricsPublisher(Socket socket) throws IOException {
    this.socket = socket;
    this.out = socket.getOutputStream();
  }

  /** Connects to the driver and answers its challenge as {@code rank}. */
  public static MetricsPublisher connect(MetricsEndpoint endpoint, int rank, Duration timeout)
      throws IOException {
    Socket socket = new Socket();
    try {
      int millis = (int) timeout.toMillis();
      socket.connect(new InetSocketAddress(endpoint.host(), endpoint.port()), millis);
      socket.setSoTimeout(millis);
      socket.setTcpNoDelay(true);
      BufferedReader in = new BufferedReader(
          new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
      String greeting = in.readLine();
      if (greeting == null || !greeting.startsWith(MetricsStream.GREETING)) {
        throw new IOException("not an igspark metrics stream at " + endpoint + ": " + greeting);
      }
      String challenge = greeting.substring(MetricsStream.GREETING.length()).trim();
      MetricsPublisher publisher = new MetricsPublisher(socket);
      publisher.writeLine(rank + " " + endpoint.answer(challenge, rank));
      return publisher;
    } catch (IOException | RuntimeException e) {
      socket.close();
      throw e;
    }
  }

  /** Sends one record; the driver sees it within milliseconds. Thread-safe. */
  public void publish(MetricsRecord record) {
    try {
      writeLine(MetricsJson.line(record));
    } catch (IOException e) {
      throw new UncheckedIOException("metrics stream to the driver broke", e);
    }
  }

  private synchronized void writeLine(String line) throws IOException {
    out.write((line + "\n").getBytes(StandardCharsets.UTF_8));
    out.flush();
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
