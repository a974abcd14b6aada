package ai.igspark.spark;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.BarrierTaskContext;

/**
 * The once-per-segment rendezvous of a barrier stage (docs/ARCHITECTURE.md §9.2 item 1). Each rank
 * binds a server channel on its own executor host, port 0, then ONE {@code allGather} of {@code
 * host:port:nonce} gives every rank the ordered peer list. Never call this per step: {@code
 * allGather} polls the driver once a second, so each call costs about 1 s.
 */
public final class BarrierRendezvous {
  /** Executor environment variable overriding the bind host, for multi-NIC hosts. */
  public static final String HOST_OVERRIDE_ENV = "IGSPARK_RENDEZVOUS_HOST";

  private BarrierRendezvous() {}

  /**
   * What the rendezvous produced.
   *
   * @param peers every rank's bound address, indexed by rank
   * @param listener this rank's bound server channel (at {@code peers.get(rank)})
   * @param allGatherMillis how long the {@code allGather} took
   */
  public record Peers(List<InetSocketAddress> peers, ServerSocketChannel listener,
      long allGatherMillis) {}

  /** Binds, publishes and gathers. Every rank of the stage must call this exactly once. */
  public static Peers join(BarrierTaskContext context, String nonce) throws IOException {
    int rank = context.partitionId();
    String override = System.getenv(HOST_OVERRIDE_ENV);
    String host = override != null && !override.isBlank()
        ? override.trim()
        : hostOf(context.getTaskInfos()[rank].address());
    ServerSocketChannel listener = ServerSocketChannel.open();
    try {
      listener.bind(new InetSocketAddress(InetAddress.getByName(host), 0), 64);
      int port = ((InetSocketAddress) listener.getLocalAddress()).getPort();
      long start = System.nanoTime();
      String[] gathered = context.allGather(encode(host, port, nonce));
      long millis = (System.nanoTime() - start) / 1_000_000;
      return new Peers(decode(gathered, nonce), listener, millis);
    } catch (IOException | RuntimeException e) {
      listener.close();
      throw e;
    }
  }

  /**
   * The host part of a {@code BarrierTaskInfo} address: local mode reports a bare host, cluster
   * mode {@code host:port} of the executor.
   */
  static String hostOf(String address) {
    String a = address.trim();
    if (a.startsWith("[")) { // [v6]:port
      return a.substring(1, a.indexOf(']'));
    }
    int colon = a.indexOf(':');
    return colon >= 0 && colon == a.lastIndexOf(':') ? a.substring(0, colon) : a;
  }

  static String encode(String host, int port, String nonce) {
    if (nonce.indexOf(':') >= 0) {
      throw new IllegalArgumentException("nonce must not contain ':': " + nonce);
    }
    return host + ":" + port + ":" + nonce;
  }

  /**
   * Parses the gathered {@code host:port:nonce} strings (parsed from the right, so IPv6 hosts
   * work) and checks that every rank is in the same attempt.
   */
  static List<InetSocketAddress> decode(String[] gathered, String nonce) {
    List<InetSocketAddress> peers = new ArrayList<>(gathered.length);
    for (int rank = 0; rank < gathered.length; rank++) {
      String entry = gathered[rank];
      int last = entry.lastIndexOf(':');
      int middle = last > 0 ? entry.lastIndexOf(':', last - 1) : -1;
      if (middle <= 0) {
        throw new IllegalStateException(
            "rendezvous: rank " + rank + " published '" + entry + "', expected host:port:nonce");
      }
      String theirNonce = entry.substring(last + 1);
      if (!theirNonce.equals(nonce)) {
        throw new IllegalStateException("rendezvous: rank " + rank + " belongs to attempt '"
            + theirNonce + "', this rank to '" + nonce + "'");
      }
      int port = Integer.parseInt(entry.substring(middle + 1, last));
      peers.add(new InetSocketAddress(entry.substring(0, middle), port));
    }
    return List.copyOf(peers);
  }
}
