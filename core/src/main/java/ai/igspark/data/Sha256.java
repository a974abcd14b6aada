package ai.igspark.data;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * SHA-256 as lower-case hex, the form every manifest, checkpoint and evaluation record stores: of
 * bytes, of a stream (read in 1 MiB blocks, never whole), of a file, or of a digest that a caller
 * fed while writing or reading.
 */
public final class Sha256 {
  private static final int BLOCK = 1 << 20;

  private Sha256() {}

  /** A fresh SHA-256 digest (the JDK's; every JVM must provide it). */
  public static MessageDigest newDigest() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JVM has no SHA-256", e);
    }
  }

  /** Completes {@code digest} and returns it as hex; the digest is reset. */
  public static String hex(MessageDigest digest) {
    return HexFormat.of().formatHex(digest.digest());
  }

  public static String of(byte[] bytes) {
    return HexFormat.of().formatHex(newDigest().digest(bytes));
  }

  /** Reads {@code in} to its end (it stays open) and returns the digest of what it gave. */
  public static String of(InputStream in) throws IOException {
    return copy(in, OutputStream.nullOutputStream());
  }

  /** Copies {@code in} to its end into {@code out} (both stay open); returns the bytes' digest. */
  public static String copy(InputStream in, OutputStream out) throws IOException {
    MessageDigest digest = newDigest();
    byte[] buf = new byte[BLOCK];
    for (int n; (n = in.read(buf)) >= 0; ) {
      digest.update(buf, 0, n);
      out.write(buf, 0, n);
    }
    return hex(digest);
  }

  /** The digest of a local file; a file that cannot be read is named in the error. */
  public static String of(Path file) {
    try (InputStream in = Files.newInputStream(file)) {
      return of(in);
    } catch (IOException e) {
      throw new InvalidInputException(file + ": cannot read: " + e.getMessage(), e);
    }
  }
}
