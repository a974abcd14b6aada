package ai.igspark.collective;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A hostile local process: holds silent connections and slowloris connections (one byte of the
 * ring's magic per second, so each looks like a handshake that has begun) open to every target,
 * from one thread. It reads and discards what the listener sends, and counts the connections the
 * listener cuts; with {@code replenish}, each cut connection is replaced at once, so the count
 * held stays the same for as long as the listeners accept (a connect that fails is not retried).
 */
final class ConnectionFlood implements AutoCloseable {
  private static final long DRIBBLE_NANOS = 1_000_000_000L;

  private final List<InetSocketAddress> targets;
  private final boolean replenish;
  private final Selector selector;
  private final Thread thread;
  private final List<SocketChannel> open = new ArrayList<>();
  private final AtomicInteger connected = new AtomicInteger();
  private final AtomicInteger cut = new AtomicInteger();
  private volatile boolean stop;

  /** One connection's attacker side. */
  private record Client(InetSocketAddress target, boolean slow, int[] sent) {}

  ConnectionFlood(List<InetSocketAddress> targets, int silent, int slow, boolean replenish)
      throws IOException {
    this.targets = List.copyOf(targets);
    this.replenish = replenish;
    this.selector = Selector.open();
    for (InetSocketAddress t : this.targets) {
      for (int i = 0; i < silent + slow; i++) {
        open(new Client(t, i >= silent, new int[1]));
      }
    }
    thread = new Thread(this::run, "connection-flood");
    thread.setDaemon(true);
    thread.start();
  }

  /** Connections that completed TCP's handshake with a listener, replacements included. */
  int connected() {
    return connected.get();
  }

  /** Connections the listeners closed. */
  int cut() {
    return cut.get();
  }

  private void open(Client c) throws IOException {
    SocketChannel ch = SocketChannel.open();
    ch.configureBlocking(false);
    open.add(ch);
    if (ch.connect(c.target())) {
      connected.incrementAndGet();
      ch.register(selector, SelectionKey.OP_READ, c);
    } else {
      ch.register(selector, SelectionKey.OP_CONNECT, c);
    }
  }

  private void run() {
    ByteBuffer sink = ByteBuffer.allocate(4096);
    long nextDribble = System.nanoTime() + DRIBBLE_NANOS;
    try {
      while (!stop) {
        selector.select(50);
        for (SelectionKey k : selector.selectedKeys()) {
          SocketChannel ch = (SocketChannel) k.channel();
          Client c = (Client) k.attachment();
          try {
            if (k.isConnectable()) {
              if (!connect(k, ch)) {
                continue;
              }
            } else if (k.isReadable()) {
              sink.clear();
              if (ch.read(sink) < 0) {
                lost(k, c);
              }
            }
          } catch (IOException e) {
            lost(k, c);
          }
        }
        selector.selectedKeys().clear();
        if (System.nanoTime() >= nextDribble) {
          nextDribble += DRIBBLE_NANOS;
          dribble();
        }
      }
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Finishes a connect; a listener that is gone is not connected to again. */
  private boolean connect(SelectionKey k, SocketChannel ch) {
    try {
      ch.finishConnect();
    } catch (IOException e) {
      k.cancel();
      TcpRingCollective.closeQuietly(ch);
      open.remove(ch);
      return false;
    }
    connected.incrementAndGet();
    k.interestOps(SelectionKey.OP_READ);
    return true;
  }

  private void dribble() {
    for (SelectionKey k : new ArrayList<>(selector.keys())) {
      Client c = (Client) k.attachment();
      if (k.isValid() && c.slow() && (k.interestOps() & SelectionKey.OP_READ) != 0) {
        byte b = TcpRingCollective.Handshake.MAGIC[c.sent()[0]++ % 8];
        try {
          ((SocketChannel) k.channel()).write(ByteBuffer.wrap(new byte[] {b}));
        } catch (IOException e) {
          lost(k, c);
        }
      }
    }
  }

  private void lost(SelectionKey k, Client c) {
    cut.incrementAndGet();
    k.cancel();
    TcpRingCollective.closeQuietly(k.channel());
    open.remove((SocketChannel) k.channel());
    if (replenish && !stop) {
      try {
        open(new Client(c.target(), c.slow(), new int[1]));
      } catch (IOException e) {
        // out of ports or descriptors: hold fewer
      }
    }
  }

  @Override
  public void close() throws Exception {
    stop = true;
    thread.join(10_000);
    for (SocketChannel ch : open) {
      ch.close();
    }
    selector.close();
  }
}
