package ai.igspark.metrics.tensorboard;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.awt.image.BufferedImage;
import org.junit.jupiter.api.Test;

class ImageGridTest {
  @Test
  void aGridWhosePixelCountDoesNotMatchItsShapeIsRefusedNamingBoth() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> new ImageGrid(2, 3, 3, new byte[17]));
    assertEquals("a 2×3×3 image has 18 bytes, got 17", e.getMessage());
  }

  @Test
  void onlyGrayAndRgbAreAccepted() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> new ImageGrid(1, 1, 4, new byte[4]));
    assertEquals("an image has 1 (gray) or 3 (RGB) channels, got 4", e.getMessage());
  }

  @Test
  void aBufferedImageBecomesItsRgbPixelsRowByRow() {
    BufferedImage img = new BufferedImage(2, 1, BufferedImage.TYPE_INT_RGB);
    img.setRGB(0, 0, 0x102030);
    img.setRGB(1, 0, 0xa0b0c0);
    ImageGrid g = ImageGrid.of(img);
    assertEquals(new ImageGrid(1, 2, 3, new byte[] {0x10, 0x20, 0x30, (byte) 0xa0, (byte) 0xb0,
        (byte) 0xc0}), g);
  }

  @Test
  void theGridKeepsItsOwnCopyOfThePixels() {
    byte[] px = {1, 2, 3};
    ImageGrid g = new ImageGrid(1, 3, 1, px);
    px[0] = 9;
    g.pixels()[1] = 9;
    assertArrayEquals(new byte[] {1, 2, 3}, g.pixels());
  }
}
