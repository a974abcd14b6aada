package ai.igspark.ckpt;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.InetAddress;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Optional;

/**
 * The driver a run lock file names: what a refused driver is told, and what decides whether the
 * lock is stale. {@code token} is a random nonce: a lock file is this driver's only while it holds
 * this token.
 *
 * @param epoch the fencing epoch: one more than the previous holder's, so never reused
 * @param processStart when the process started (ISO-8601, "" if unknown): tells a pid reused by
 *     another process from the holder's own
 */
public record LockOwner(
    long epoch,
    String token,
    String host,
    long pid,
    String processStart,
    String applicationId,
    String started) {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final SecureRandom NONCES = new SecureRandom();
  private static volatile String localHost;

  /** This JVM as the holder of {@code epoch}, for Spark application {@code applicationId}. */
  static LockOwner current(long epoch, String applicationId) {
    byte[] nonce = new byte[12];
    NONCES.nextBytes(nonce);
    ProcessHandle self = ProcessHandle.current();
    return new LockOwner(
        epoch,
        HexFormat.of().formatHex(nonce),
        localHost(),
        self.pid(),
        self.info().startInstant().map(Instant::toString).orElse(""),
        applicationId == null ? "" : applicationId,
        Instant.now().toString());
  }

  /** This machine's host name, as lock files record it. */
  static String localHost() {
    String h = localHost;
    if (h == null) {
      try {
        h = InetAddress.getLocalHost().getHostName();
      } catch (IOException e) {
        h = Optional.ofNullable(System.getenv("HOSTNAME")).orElse("unknown-host");
      }
      localHost = h;
    }
    return h;
  }

  /**
   * Whether this owner's process is known to be gone: it ran on this host and no process has its
   * pid, or the process with that pid started at another time (the pid was reused).
   */
  boolean processGoneOnThisHost() {
    if (!host.equals(localHost())) {
      return false;
    }
    Optional<ProcessHandle> p = ProcessHandle.of(pid);
    if (p.isEmpty() || !p.get().isAlive()) {
      return true;
    }
    Optional<Instant> start = p.get().info().startInstant();
    if (processStart.isEmpty() || start.isEmpty()) {
      return false;
    }
    Duration apart = Duration.between(Instant.parse(processStart), start.get()).abs();
    return apart.compareTo(Duration.ofSeconds(1)) > 0;
  }

  byte[] toJson() {
    ObjectNode n = JSON.createObjectNode();
    n.put("epoch", epoch);
    n.put("token", token);
    n.put("host", host);
    n.put("pid", pid);
    n.put("process_start", processStart);
    n.put("application_id", applicationId);
    n.put("started", started);
    try {
      return JSON.writeValueAsBytes(n);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Parses a lock file; empty when it is empty or not (yet) a complete owner record. */
  static Optional<LockOwner> fromJson(byte[] bytes) {
    try {
      JsonNode n = JSON.readTree(bytes);
      if (n == null || !n.isObject() || !n.has("token") || !n.has("pid")) {
        return Optional.empty();
      }
      return Optional.of(new LockOwner(
          n.path("epoch").asLong(),
          n.path("token").asText(),
          n.path("host").asText(),
          n.path("pid").asLong(),
          n.path("process_start").asText(""),
          n.path("application_id").asText(""),
          n.path("started").asText("")));
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  /** "pid 4242 on host node7 (Spark application local-17..., started 2026-...Z)". */
  public String describe() {
    return "pid " + pid + " on host " + host + " (Spark application "
        + (applicationId.isEmpty() ? "unknown" : applicationId) + ", started " + started + ")";
  }
}
