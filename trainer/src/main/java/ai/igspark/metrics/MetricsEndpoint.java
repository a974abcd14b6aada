package ai.igspark.metrics;

import java.io.Serializable;
import java.security.InvalidKeyException;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Where ranks push metrics, and the secret that proves they belong to this segment. It travels
 * to the executors inside the task closure, so the secret is as protected as Spark's own RPC
 * ({@code spark.authenticate} and {@code spark.network.crypto.enabled} on a shared cluster).
 *
 * @param host the driver host the {@link MetricsStream} listens on
 * @param port its port
 * @param secret random per-stream key; a client answers the server's challenge with
 *     HMAC-SHA256(secret, challenge + ":" + rank)
 */
public record MetricsEndpoint(String host, int port, byte[] secret) implements Serializable {
  private static final long serialVersionUID = 1L;

  /** The hex HMAC a client must send for {@code challenge} and {@code rank}. */
  String answer(String challenge, int rank) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(secret, "HmacSHA256"));
      return HexFormat.of().formatHex(mac.doFinal((challenge + ":" + rank).getBytes(
          java.nio.charset.StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException | InvalidKeyException e) {
      throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
    }
  }

  @Override
  public String toString() {
    return "MetricsEndpoint[" + host + ":" + port + "]"; // never print the secret
  }
}
