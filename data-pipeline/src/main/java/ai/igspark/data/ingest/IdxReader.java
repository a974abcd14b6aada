package ai.igspark.data.ingest;

import ai.igspark.data.InvalidInputException;
import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.GZIPInputStream;

/**
 * Reads the unsigned-byte IDX files of MNIST and Fashion-MNIST, plain or gzipped.
 *
 * <p>An IDX file starts with a big-endian magic number {@code 0x0000TTDD} (TT = 0x08 for unsigned
 * bytes, DD = number of dimensions), then DD big-endian int32 sizes, then the data in C order. The
 * magic is checked against what the caller expects, so an image file passed as labels (or a file
 * that is not IDX at all) fails with the file's name.
 */
public final class IdxReader {
  /** Images: unsigned bytes, 3 dimensions [N, rows, cols]. */
  public static final int IMAGES_MAGIC = 0x00000803;

  /** Labels: unsigned bytes, 1 dimension [N]. */
  public static final int LABELS_MAGIC = 0x00000801;

  private IdxReader() {}

  /** The dimensions and raw bytes of an IDX file. */
  public record IdxArray(int[] dims, byte[] data) {
    public int count() {
      return dims[0];
    }

    /** Elements per item: rows * cols for images, 1 for labels. */
    public int itemSize() {
      int n = 1;
      for (int i = 1; i < dims.length; i++) {
        n *= dims[i];
      }
      return n;
    }
  }

  public static IdxArray readImages(Path file) {
    return read(file, IMAGES_MAGIC);
  }

  public static IdxArray readLabels(Path file) {
    return read(file, LABELS_MAGIC);
  }

  /** Reads {@code file} (gzipped when its name ends in .gz) and checks its magic number. */
  public static IdxArray read(Path file, int expectedMagic) {
    try (InputStream raw = Files.newInputStream(file);
        InputStream buffered = new BufferedInputStream(raw, 1 << 16);
        DataInputStream in =
            new DataInputStream(
                file.getFileName().toString().endsWith(".gz")
                    ? new GZIPInputStream(buffered, 1 << 16)
                    : buffered)) {
      int magic = in.readInt();
      if (magic != expectedMagic) {
        throw new InvalidInputException(
            String.format(
                "%s: IDX magic number is 0x%08X, expected 0x%08X (%s)",
                file, magic, expectedMagic, describe(expectedMagic)));
      }
      int[] dims = new int[expectedMagic & 0xff];
      long total = 1;
      for (int i = 0; i < dims.length; i++) {
        dims[i] = in.readInt();
        if (dims[i] < 0) {
          throw new InvalidInputException(file + ": IDX dimension " + i + " is negative");
        }
        total *= dims[i];
      }
      if (total > Integer.MAX_VALUE - 8) {
        throw new InvalidInputException(
            file + ": IDX array " + Arrays.toString(dims) + " is too large to read at once");
      }
      byte[] data = new byte[(int) total];
      in.readFully(data);
      return new IdxArray(dims, data);
    } catch (EOFException e) {
      throw new InvalidInputException(file + ": IDX file is truncated (ends before its data)", e);
    } catch (java.util.zip.ZipException e) {
      throw new InvalidInputException(file + ": not a valid gzip file: " + e.getMessage(), e);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    }
  }

  private static String describe(int magic) {
    return switch (magic) {
      case IMAGES_MAGIC -> "unsigned-byte images [N, rows, cols]";
      case LABELS_MAGIC -> "unsigned-byte labels [N]";
      default -> "unsigned bytes, " + (magic & 0xff) + " dimensions";
    };
  }
}
