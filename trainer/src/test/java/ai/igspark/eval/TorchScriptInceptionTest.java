package ai.igspark.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.igspark.data.InvalidInputException;
import ai.igspark.tensorfile.Npz;
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
  void nchwBatchesGiveTheSameFeaturesAsNhwc() {
    ImageBatch nhwc;
    try (Npz npz = Npz.open(StandIn.file("reference.npz"));
        NpzImages images = NpzImages.open(npz)) {
      nhwc = images.next(3);
    }
    int h = nhwc.height();
    int w = nhwc.width();
    byte[] planar = new byte[nhwc.pixels().length];
    for (int i = 0; i < 3; i++) {
      for (int y = 0; y < h; y++) {
        for (int x = 0; x < w; x++) {
          for (int c = 0; c < 3; c++) {
            planar[((i * 3 + c) * h + y) * w + x] = nhwc.pixels()[((i * h + y) * w + x) * 3 + c];
          }
        }
      }
    }
    FeatureExtractor.Features a = extractor.extract(nhwc);
    FeatureExtractor.Features b =
        extractor.extract(new ImageBatch(planar, 3, h, w, ImageBatch.Layout.NCHW));
    // Strided and contiguous inputs take different conv kernels: float32 rounding only.
    assertClose(a.pool(), b.pool(), 1e-5, "pool ");
    assertClose(a.logits(), b.logits(), 1e-4, "logits ");
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
