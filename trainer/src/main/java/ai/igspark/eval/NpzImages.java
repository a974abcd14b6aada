package ai.igspark.eval;

import ai.igspark.data.InvalidInputException;
import ai.igspark.tensorfile.DType;
import ai.igspark.tensorfile.Npz;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;

/**
 * Streams {@code arr_0} of an ADM-style {@code .npz}: uint8 images N×H×W×3. A 50,000-image 256²
 * batch is 9.8 GB, so it is never loaded whole: the array is read from the zip entry in batches.
 */
public final class NpzImages implements ImageSource {
  public static final String KEY = "arr_0";

  private final String source;
  private final Npz.ArrayStream stream;
  private final long count;
  private final int height;
  private final int width;
  private long read;

  private NpzImages(String source, Npz.ArrayStream stream, long[] shape) {
    this.source = source;
    this.stream = stream;
    this.count = shape[0];
    this.height = Math.toIntExact(shape[1]);
    this.width = Math.toIntExact(shape[2]);
  }

  /** Opens {@code arr_0} of an open archive and checks it holds uint8 NHWC RGB images. */
  public static NpzImages open(Npz npz) {
    String source = npz.file() + "[" + KEY + "]";
    Npz.ArrayStream stream = npz.openArray(KEY);
    try {
      check(source, stream.header().dtype(), stream.header().shape());
    } catch (RuntimeException e) {
      try {
        stream.close();
      } catch (IOException suppressed) {
        e.addSuppressed(suppressed);
      }
      throw e;
    }
    return new NpzImages(source, stream, stream.header().shape());
  }

  static void check(String source, DType dtype, long[] shape) {
    String found = dtype + " " + Arrays.toString(shape);
    if (dtype != DType.U8) {
      throw new InvalidInputException(
          source + ": images are " + found + "; expected uint8 (N, H, W, 3) in [0, 255] "
              + "(convert with np.clip(np.round(x), 0, 255).astype(np.uint8))");
    }
    if (shape.length != 4) {
      throw new InvalidInputException(
          source + ": images are " + found + "; expected a 4-d uint8 array (N, H, W, 3)");
    }
    if (shape[3] != 3) {
      String hint =
          shape[1] == 3
              ? " — this looks like NCHW; save x.transpose(0, 2, 3, 1) instead"
              : " — expected 3 RGB channels last";
      throw new InvalidInputException(
          source + ": images are " + found + "; expected NHWC (N, H, W, 3)" + hint);
    }
    if (shape[1] <= 0 || shape[2] <= 0) {
      throw new InvalidInputException(source + ": images are " + found + "; empty images");
    }
  }

  @Override
  public long count() {
    return count;
  }

  public int height() {
    return height;
  }

  public int width() {
    return width;
  }

  @Override
  public ImageBatch next(int max) {
    int n = (int) Math.min(max, count - read);
    if (n <= 0) {
      return null;
    }
    int bytes = Math.multiplyExact(n, height * width * 3);
    byte[] pixels = new byte[bytes];
    try {
      InputStream in = stream.data();
      int got = in.readNBytes(pixels, 0, bytes);
      if (got != bytes) {
        throw new InvalidInputException(
            source + ": truncated after " + (read + got / (height * width * 3)) + " of " + count
                + " images");
      }
    } catch (IOException e) {
      throw new InvalidInputException(source + ": cannot read: " + e.getMessage(), e);
    }
    read += n;
    return new ImageBatch(pixels, n, height, width);
  }

  @Override
  public String description() {
    return source;
  }

  @Override
  public void close() {
    try {
      stream.close();
    } catch (IOException e) {
      // read-only stream: nothing is lost
    }
  }
}
