package ai.igspark.spark;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/**
 * The TCP addresses a process listens on, read from Linux's /proc: the socket inodes among its
 * open files, looked up in its network namespace's {@code net/tcp} and {@code net/tcp6} tables.
 * Tests use it to show that every daemon they start binds to loopback only.
 */
public final class ListeningSockets {
  private static final String LISTEN = "0A";

  private ListeningSockets() {}

  public static List<InetSocketAddress> of(long pid) throws IOException {
    Path proc = Path.of("/proc", Long.toString(pid));
    Set<String> inodes = new HashSet<>();
    try (Stream<Path> fds = Files.list(proc.resolve("fd"))) {
      for (Path fd : fds.toList()) {
        try {
          String target = Files.readSymbolicLink(fd).toString();
          if (target.startsWith("socket:[")) {
            inodes.add(target.substring(8, target.length() - 1));
          }
        } catch (IOException closedMeanwhile) {
          // a descriptor closed between the listing and the read
        }
      }
    }
    List<InetSocketAddress> out = new ArrayList<>();
    for (String table : List.of("net/tcp", "net/tcp6")) {
      List<String> lines = Files.readAllLines(proc.resolve(table));
      for (String line : lines.subList(1, lines.size())) {
        // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode ...
        String[] f = line.trim().split("\\s+");
        if (f[3].equals(LISTEN) && inodes.contains(f[9])) {
          out.add(address(f[1]));
        }
      }
    }
    return out;
  }

  /** {@code 0100007F:1F90}: the address in 32-bit words of host (little-endian) order, the port. */
  private static InetSocketAddress address(String hex) throws IOException {
    String[] parts = hex.split(":");
    byte[] raw = HexFormat.of().parseHex(parts[0]);
    byte[] bytes = new byte[raw.length];
    for (int word = 0; word < raw.length; word += 4) {
      for (int i = 0; i < 4; i++) {
        bytes[word + i] = raw[word + 3 - i];
      }
    }
    // an IPv4-mapped IPv6 address (::ffff:127.0.0.1) comes back as the IPv4 one
    return new InetSocketAddress(InetAddress.getByAddress(bytes), Integer.parseInt(parts[1], 16));
  }
}
