package ai.igspark.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.igspark.data.InvalidInputException;
import ai.igspark.data.format.Normalization;
import ai.igspark.eval.job.LatentDecoding;
import ai.igspark.tensorfile.HostTensor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TorchScriptDecoderTest {
  private static final int[] LATENT = {4, 8, 8};

  @Test
  void decodesLikeTorchAndConvertsToUint8WithBothConventions() {
    Map<String, HostTensor> expected = DecoderStandIn.expected();
    float[] z = expected.get("z").toFloats();
    try (TorchScriptDecoder d =
        TorchScriptDecoder.load(DecoderStandIn.file("decoder.pt"), LATENT, "decoder.pt")) {
      assertEquals(32, d.height());
      assertEquals(32, d.width());
      float[] x = d.decode(z, 3);
      assertArrayEquals(expected.get("x").toFloats(), x, 1e-6f);
      // The conversion of torch's own decoded values must give torch's bytes exactly.
      float[] torchX = expected.get("x").toFloats();
      assertArrayEquals(bytes(expected.get("floor")), Uint8Convention.FLOOR.toUint8(torchX, "d"));
      assertArrayEquals(bytes(expected.get("round")), Uint8Convention.ROUND.toUint8(torchX, "d"));
    }
  }

  private static byte[] bytes(HostTensor t) {
    long[] v = t.toLongs();
    byte[] b = new byte[v.length];
    for (int i = 0; i < v.length; i++) {
      b[i] = (byte) v[i];
    }
    return b;
  }

  @Test
  void conventionsClampAndDifferByHalfALevel() {
    assertEquals(0, Uint8Convention.FLOOR.toUint8(-1.5f));
    assertEquals(255, Uint8Convention.FLOOR.toUint8(1.5f));
    assertEquals(127, Uint8Convention.FLOOR.toUint8(0f)); // 127.5 truncated
    assertEquals(128, Uint8Convention.ROUND.toUint8(0f)); // 128 truncated
  }

  @Test
  void aNonFiniteDecodedValueNamesTheDecoder() {
    var e =
        assertThrows(
            InvalidInputException.class,
            () -> Uint8Convention.FLOOR.toUint8(new float[] {0f, Float.NaN}, "my-decoder.pt"));
    assertTrue(e.getMessage().startsWith("my-decoder.pt: the decoder produced NaN"),
        e.getMessage());
  }

  @Test
  void aDecoderThatIsNotRgbIsRejectedAtLoadTime() {
    var e =
        assertThrows(
            InvalidInputException.class,
            () -> TorchScriptDecoder.load(
                DecoderStandIn.file("one_channel.pt"), LATENT, "one_channel.pt"));
    assertTrue(e.getMessage().startsWith("one_channel.pt: violates the VAE-decoder contract"),
        e.getMessage());
    assertTrue(e.getMessage().contains("[2, 1, 32, 32]"), e.getMessage());
  }

  @Test
  void aDecoderReturning0To255PixelsIsRejected() {
    var e =
        assertThrows(
            InvalidInputException.class,
            () -> TorchScriptDecoder.load(
                DecoderStandIn.file("pixels_0_255.pt"), LATENT, "pixels_0_255.pt"));
    assertTrue(e.getMessage().startsWith("pixels_0_255.pt: violates the VAE-decoder contract"),
        e.getMessage());
    assertTrue(e.getMessage().contains("expected images in [-1, 1]"), e.getMessage());
  }

  @Test
  void latentsOfTheWrongShapeFailTheProbeNamingTheFile() {
    var e =
        assertThrows(
            InvalidInputException.class,
            () -> TorchScriptDecoder.load(
                DecoderStandIn.file("decoder.pt"), new int[] {3, 8, 8}, "decoder.pt"));
    assertTrue(e.getMessage().startsWith("decoder.pt: violates the VAE-decoder contract"),
        e.getMessage());
    assertTrue(e.getMessage().contains("[3, 8, 8]"), e.getMessage());
  }

  @Test
  void aFileThatIsNotTorchScriptIsNamed(@TempDir Path dir) throws Exception {
    Path junk = dir.resolve("junk.pt");
    Files.writeString(junk, "not a zip");
    var e =
        assertThrows(
            InvalidInputException.class, () -> TorchScriptDecoder.load(junk, LATENT, "junk.pt"));
    assertTrue(e.getMessage().startsWith("junk.pt: cannot load as a TorchScript module"),
        e.getMessage());
  }

  @Test
  void decoderAndInceptionWithTheSameFileNameAreRefused(@TempDir Path dir) throws Exception {
    Path a = Files.createDirectories(dir.resolve("a")).resolve("model.pt");
    Path b = Files.createDirectories(dir.resolve("b")).resolve("model.pt");
    Files.copy(DecoderStandIn.file("decoder.pt"), a);
    Files.copy(StandIn.file("standin.pt"), b);
    var e =
        assertThrows(
            InvalidInputException.class,
            () -> LatentDecoding.check(a, b, Normalization.sdVae(), Uint8Convention.FLOOR, LATENT));
    assertTrue(e.getMessage().contains("share the file name model.pt"), e.getMessage());
  }

  @Test
  void unnormalisingUndoesTheDatasetNormalisation() {
    LatentDecoding scalar =
        new LatentDecoding("d", "", "i", "", Normalization.sdVae(), Uint8Convention.FLOOR,
            new int[] {32, 32}, Map.of());
    float[] x = {0.18215f};
    scalar.unnormalise(x, 1, 1);
    assertEquals(1f, x[0], 1e-7f);
    LatentDecoding perChannel =
        new LatentDecoding("d", "", "i", "",
            Normalization.perChannel(new float[] {1f, -2f}, new float[] {2f, 4f}),
            Uint8Convention.FLOOR, new int[] {32, 32}, Map.of());
    float[] y = {1f, 1f, 0.5f, 0.5f}; // 2 channels × 2 pixels
    perChannel.unnormalise(y, 2, 2);
    assertArrayEquals(new float[] {3f, 3f, 0f, 0f}, y);
  }
}
