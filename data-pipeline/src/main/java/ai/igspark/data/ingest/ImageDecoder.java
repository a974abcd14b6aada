package ai.igspark.data.ingest;

import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ComponentColorModel;
import java.awt.image.DataBuffer;
import java.awt.image.Raster;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Iterator;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;

/**
 * Decodes image files to 8-bit RGB through ImageIO. TwelveMonkeys' imageio-jpeg (on the class
 * path, registered by ImageIO's service loader) adds what the JDK's JPEG reader lacks: CMYK/YCCK
 * and Adobe JPEGs, broken ICC profiles, lenient handling of common corruptions.
 *
 * <p>Like PIL's {@code convert('RGB')}: grey is replicated to three channels and alpha is dropped.
 * 8-bit RGB and grey rasters are read sample by sample, because {@code getRGB} on a grey image
 * applies a colour-space conversion that changes the values.
 */
public final class ImageDecoder {
  static {
    ImageIO.setUseCache(false); // decode in memory: executors may have no writable temp dir
    ImageIO.scanForPlugins();
  }

  private ImageDecoder() {}

  /** A file that cannot be decoded; the ingestion skips it and records {@link #getMessage()}. */
  public static final class UndecodableImageException extends Exception {
    public UndecodableImageException(String message, Throwable cause) {
      super(message, cause);
    }
  }

  public static RgbImage decode(byte[] encoded) throws UndecodableImageException {
    BufferedImage image;
    try (ImageInputStream in = ImageIO.createImageInputStream(new ByteArrayInputStream(encoded))) {
      Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
      if (!readers.hasNext()) {
        throw new UndecodableImageException("not an image format ImageIO can read", null);
      }
      ImageReader reader = readers.next();
      try {
        reader.setInput(in, true, true);
        image = reader.read(0);
      } finally {
        reader.dispose();
      }
    } catch (IOException | RuntimeException e) {
      throw new UndecodableImageException("cannot decode: " + e, e);
    }
    if (image == null) {
      throw new UndecodableImageException("the decoder returned no image", null);
    }
    return toRgb(image);
  }

  static RgbImage toRgb(BufferedImage image) {
    int w = image.getWidth();
    int h = image.getHeight();
    byte[] out = new byte[w * h * 3];
    Raster raster = image.getRaster();
    int colorBands = image.getColorModel().getNumColorComponents();
    int csType = image.getColorModel().getColorSpace().getType();
    boolean plain8Bit =
        image.getColorModel() instanceof ComponentColorModel
            && raster.getTransferType() == DataBuffer.TYPE_BYTE
            && ((colorBands == 3 && csType == ColorSpace.TYPE_RGB)
                || (colorBands == 1 && csType == ColorSpace.TYPE_GRAY));
    if (plain8Bit) {
      int[] row = new int[w * raster.getNumBands()];
      int bands = raster.getNumBands();
      for (int y = 0; y < h; y++) {
        raster.getPixels(0, y, w, 1, row);
        for (int x = 0; x < w; x++) {
          for (int c = 0; c < 3; c++) {
            out[(y * w + x) * 3 + c] = (byte) row[x * bands + (colorBands == 1 ? 0 : c)];
          }
        }
      }
    } else {
      int[] argb = image.getRGB(0, 0, w, h, null, 0, w);
      for (int i = 0; i < argb.length; i++) {
        out[i * 3] = (byte) (argb[i] >> 16);
        out[i * 3 + 1] = (byte) (argb[i] >> 8);
        out[i * 3 + 2] = (byte) argb[i];
      }
    }
    return new RgbImage(w, h, out);
  }
}
