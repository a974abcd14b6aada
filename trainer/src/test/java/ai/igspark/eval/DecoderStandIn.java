package ai.igspark.eval;

import ai.igspark.data.format.HostTensor;
import ai.igspark.data.format.Npz;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.Map;

/** The committed stand-in VAE decoder fixtures (src/test/python/gen_decoder_standin.py). */
final class DecoderStandIn {
  private DecoderStandIn() {}

  static Path file(String name) {
    try {
      return Path.of(
          DecoderStandIn.class.getResource("/fixtures/decoder-standin/" + name).toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  static Map<String, HostTensor> expected() {
    return Npz.readAll(file("expected.npz"));
  }
}
