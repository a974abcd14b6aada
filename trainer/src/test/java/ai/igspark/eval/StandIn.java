package ai.igspark.eval;

import ai.igspark.tensorfile.Npz;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;

/** The committed stand-in extractor fixtures (src/test/python/gen_inception_standin.py). */
public final class StandIn {
  private StandIn() {}

  public static Path file(String name) {
    try {
      return Path.of(StandIn.class.getResource("/fixtures/inception-standin/" + name).toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  public static Map<String, ai.igspark.tensorfile.HostTensor> expected() {
    return Npz.readAll(file("expected.npz"));
  }

  public static double expected(String key) {
    return expected().get(key).toDoubles()[0];
  }

  public static String sha256() {
    long[] bytes = expected().get("standin_sha256").toLongs();
    byte[] b = new byte[bytes.length];
    for (int i = 0; i < b.length; i++) {
      b[i] = (byte) bytes[i];
    }
    return new String(b, StandardCharsets.US_ASCII);
  }
}
