package ai.igspark.data.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.igspark.tensorfile.Npy;
import ai.igspark.testsupport.Fixtures;
import java.nio.file.Files;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** JPEG variants written by PIL decode through ImageIO + TwelveMonkeys close to PIL's decode. */
class ImageDecoderTest {

  @ParameterizedTest
  @ValueSource(strings = {"baseline", "progressive", "grey", "cmyk"})
  void jpegDecodesCloseToPillow(String name) throws Exception {
    RgbImage img =
        ImageDecoder.decode(Files.readAllBytes(Fixtures.path("jpeg/" + name + ".jpg")));
    assertEquals(120, img.width());
    assertEquals(80, img.height());
    long[] pil = Npy.read(Fixtures.path("jpeg/" + name + ".pil_rgb.npy")).toLongs();
    double sumAbs = 0;
    for (int i = 0; i < pil.length; i++) {
      sumAbs += Math.abs((img.pixels()[i] & 0xff) - pil[i]);
    }
    double meanAbs = sumAbs / pil.length;
    // Measured: identical to PIL (JDK 17 + TwelveMonkeys 3.12, PIL 9.4), CMYK included. Decoders
    // may differ in IDCT/upsampling rounding elsewhere, so allow a fraction of a grey level.
    double tolerance = 0.5;
    assertTrue(meanAbs < tolerance, name + ": mean |Java - PIL| = " + meanAbs);
  }

  @ParameterizedTest
  @ValueSource(strings = {"truncated", "not_an_image"})
  void brokenFilesAreReportedAsUndecodable(String name) throws Exception {
    byte[] bytes = Files.readAllBytes(Fixtures.path("jpeg/" + name + ".jpg"));
    assertThrows(ImageDecoder.UndecodableImageException.class, () -> ImageDecoder.decode(bytes));
  }

  @Test
  void greyIsReplicatedToThreeEqualChannels() throws Exception {
    RgbImage img = ImageDecoder.decode(Files.readAllBytes(Fixtures.path("jpeg/grey.jpg")));
    for (int i = 0; i < img.width() * img.height(); i++) {
      assertEquals(img.pixels()[i * 3], img.pixels()[i * 3 + 1]);
      assertEquals(img.pixels()[i * 3], img.pixels()[i * 3 + 2]);
    }
  }
}
