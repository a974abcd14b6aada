package ai.igspark.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.igspark.data.InvalidInputException;
import ai.igspark.data.format.Npz;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class TorchScriptInceptionTest {
  private static TorchScriptInception extractor;

  @BeforeAll
  static void load() {
    extractor = TorchScriptInception.load(StandIn.file("standin.pt"));
  }

  @AfterAll
  static void close() {
    extractor.close();
  }

  private static void assertClose(float[] expected, float[] actual, double tol, String what) {
    assertEquals(expected.length, actual.length, what);
    for (int i = 0; i < expected.length; i++) {
      assertEquals(expected[i], actual[i], tol * Math.max(1, Math.abs(expected[i])), what + i);
    }
  }

  @Test
  void standInOutputsAreRecognisedByWidth() {
    assertEquals(
        Map.of(
            FeatureExtractor.Output.POOL, 2048,
            FeatureExtractor.Output.SPATIAL, 2023,
            FeatureExtractor.Output.LOGITS, 1008),
        extractor.outputs());
  }

  @Test
  void featuresMatchTorchEagerOnNhwcImages() {
    FeatureExtractor.Features f;
    try (Npz npz = Npz.open(StandIn.file("reference.npz"));
        NpzImages images = NpzImages.open(npz)) {
      f = extractor.extract(images.next(4));
    }
    var expected = StandIn.expected();
    assertEquals(4, f.count());
    assertClose(expected.get("pool").toFloats(), f.pool(), 1e-4, "pool ");
    assertClose(expected.get("spatial").toFloats(), f.spatial(), 1e-4, "spatial ");
    assertClose(expected.get("logits").toFloats(), f.logits(), 1e-4, "logits ");
  }

  @Test
  void sha256OfTheFileIsRecorded() {
    assertEquals(StandIn.sha256(), extractor.sha256());
  }

  @Test
  void wrongOutputShapeIsRejectedAtLoadNamingFileExpectedAndFound() {
    InvalidInputException e =
        assertThrows(
            InvalidInputException.class,
            () -> TorchScriptInception.load(StandIn.file("wrong_shape.pt")));
    String m = e.getMessage();
    assertTrue(m.contains("wrong_shape.pt"), m);
    assertTrue(m.contains("output 0") && m.contains("(2, 1000)"), m);
    assertTrue(m.contains("(N, 2048)"), m);
  }

  @Test
  void aFileThatIsNotTorchScriptIsRejectedWithItsName() {
    InvalidInputException e =
        assertThrows(
            InvalidInputException.class,
            () -> TorchScriptInception.load(StandIn.file("samples.npz")));
    assertTrue(e.getMessage().contains("samples.npz"), e.getMessage());
  }
}
