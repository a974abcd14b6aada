package ai.igspark.eval;

import ai.igspark.tensorfile.HostTensor;
import ai.igspark.tensorfile.Npz;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.Map;

/** The committed stand-in VAE decoder fixtures (src/test/python/gen_decoder_standin.py). */
public final class DecoderStandIn {
  private DecoderStandIn() {}

  public static Path file(String name) {
    try {
      return Path.of(
          DecoderStandIn.class.getResource("/fixtures/decoder-standin/" + name).toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  public static Map<String, HostTensor> expected() {
    return Npz.readAll(file("expected.npz"));
  }
}
