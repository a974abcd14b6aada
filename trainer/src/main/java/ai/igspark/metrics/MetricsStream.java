package ai.igspark.metrics;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Driver-side server that ranks push JSON metric lines to while a segment runs (Spark returns task
 * results only when the stage ends). A connection is accepted only after it answers a random
 * challenge with the HMAC of the stream's secret ({@link MetricsEndpoint}), so a stray client on
 * the network cannot inject records.
 *
 * <p>Wire protocol, one line each, UTF-8: server {@code IGSPARK-METRICS 1 <challenge hex>};
 * client {@code <rank> <hmac hex>}; then the client sends one {@link MetricsRecord} per line
 * ({@link MetricsJson}) until it closes. Hand-written on plain sockets: a handful of connections
 * per segment do not justify an HTTP or RPC library next to Spark's own Netty.
 */
public final class MetricsStream implements AutoCloseable {
  static final String GREETING = "IGSPARK-METRICS 1 ";
  private static final Logger LOG = LoggerFactory.getLogger(MetricsStream.class);
  private static final int HANDSHAKE_TIMEOUT_MILLIS = 10_000;

  private final ServerSocket server;
  private final MetricsEndpoint endpoint;
  private final Consumer<ReceivedRecord> listener;
  private final SecureRandom random = new SecureRandom();
  private final List<Socket> clients = new CopyOnWriteArrayList<>();
  private final List<Thread> readers = new CopyOnWriteArrayList<>();
  private final AtomicInteger rejected = new AtomicInteger();
  private final AtomicInteger listenerFailures = new AtomicInteger();
  private final Thread acceptor;

  private MetricsStream(ServerSocket server, byte[] secret, Consumer<ReceivedRecord> listener) {
    this.server = server;
    String host = server.getInetAddress().getHostAddress();
    this.endpoint = new MetricsEndpoint(host, server.getLocalPort(), secret);
    this.listener = listener;
    this.acceptor = new Thread(this::acceptLoop, "igspark-metrics-accept");
    acceptor.setDaemon(true);
    acceptor.start();
  }

  /**
   * Listens on {@code bindHost} (the driver host; 127.0.0.1 in tests) on a free port. {@code
   * listener} is called once per record, never concurrently.
   */
  public static MetricsStream open(String bindHost, Consumer<ReceivedRecord> listener)
      throws IOException {
    ServerSocket server = new ServerSocket();
    server.bind(new InetSocketAddress(InetAddress.getByName(bindHost), 0), 64);
    byte[] secret = new byte[32];
    new SecureRandom().nextBytes(secret);
    return new MetricsStream(server, secret, listener);
  }

  /** Address and secret to hand to the ranks. */
  public MetricsEndpoint endpoint() {
    return endpoint;
  }

  /** Connections refused because they failed the challenge. */
  public int rejectedConnections() {
    return rejected.get();
  }

  /**
   * Stops accepting, lets each connection deliver what its rank already sent (ranks close theirs
   * when their task ends) for up to 2 s, then closes whatever is left.
   */
  @Override
  public void close() throws IOException {
    server.close();
    try {
      acceptor.join(2_000);
      long deadline = System.nanoTime() + 2_000_000_000L;
      for (Thread reader : readers) {
        reader.join(Math.max(1, (deadline - System.nanoTime()) / 1_000_000));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      for (Socket client : clients) {
        client.close();
      }
    }
  }

  private void acceptLoop() {
    while (!server.isClosed()) {
      try {
        Socket client = server.accept();
        clients.add(client);
        Thread reader = new Thread(() -> serve(client), "igspark-metrics-" + client.getPort());
        reader.setDaemon(true);
        readers.add(reader);
        reader.start();
      } catch (IOException e) {
        if (!server.isClosed()) {
          LOG.warn("metrics stream stopped accepting: {}", e.toString());
        }
        return;
      }
    }
  }

  private void serve(Socket client) {
    try (client) {
      client.setSoTimeout(HANDSHAKE_TIMEOUT_MILLIS);
      byte[] challengeBytes = new byte[16];
      random.nextBytes(challengeBytes);
      String challenge = HexFormat.of().formatHex(challengeBytes);
      OutputStream out = client.getOutputStream();
      out.write((GREETING + challenge + "\n").getBytes(StandardCharsets.UTF_8));
      out.flush();
      BufferedReader in = new BufferedReader(
          new InputStreamReader(client.getInputStream(), StandardCharsets.UTF_8));
      int rank = authenticate(in.readLine(), challenge);
      if (rank < 0) {
        rejected.incrementAndGet();
        LOG.warn("metrics stream refused {}: bad credentials", client.getRemoteSocketAddress());
        return;
      }
      client.setSoTimeout(0); // a rank may be silent for a long step
      for (String line = in.readLine(); line != null; line = in.readLine()) {
        if (line.isBlank()) {
          continue;
        }
        ReceivedRecord record =
            new ReceivedRecord(rank, System.currentTimeMillis(), MetricsJson.read(line));
        deliver(record, client);
      }
    } catch (SocketException e) {
      // closed by close() or by the rank's task ending: nothing more to read
    } catch (IOException | RuntimeException e) {
      LOG.warn("metrics connection {} dropped: {}", client.getRemoteSocketAddress(), e.toString());
    } finally {
      clients.remove(client);
      readers.remove(Thread.currentThread());
    }
  }

  /**
   * Hands {@code record} to the listener. A listener that fails (a full disk under the metrics
   * log throws Hadoop's FSError, a java.lang.Error) loses that record only: the connection, and
   * with it the rank's segment, goes on. The first failure is logged.
   */
  private void deliver(ReceivedRecord record, Socket client) {
    try {
      synchronized (listener) {
        listener.accept(record);
      }
    } catch (VirtualMachineError e) {
      throw e;
    } catch (RuntimeException | Error e) {
      if (listenerFailures.getAndIncrement() == 0) {
        LOG.warn("metrics listener failed on a record from {} (the stream goes on): {}",
            client.getRemoteSocketAddress(), e.toString());
      }
    }
  }

  /** Records the listener failed on, over all connections. */
  public int listenerFailures() {
    return listenerFailures.get();
  }

  /** The rank the client proved it is, or -1. */
  private int authenticate(String reply, String challenge) {
    if (reply == null) {
      return -1;
    }
    String[] parts = reply.trim().split(" ", 2);
    if (parts.length != 2) {
      return -1;
    }
    int rank;
    try {
      rank = Integer.parseInt(parts[0]);
    } catch (NumberFormatException e) {
      return -1;
    }
    byte[] expected = endpoint.answer(challenge, rank).getBytes(StandardCharsets.US_ASCII);
    byte[] actual = parts[1].getBytes(StandardCharsets.US_ASCII);
    return rank >= 0 && MessageDigest.isEqual(expected, actual) ? rank : -1;
  }
}
