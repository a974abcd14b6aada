package ai.igspark.tensorfile;

import ai.igspark.data.InvalidInputException;
import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * NumPy {@code .npy} files (format versions 1, 2 and 3): magic, version, header length, a Python
 * dict literal ({@code descr}, {@code fortran_order}, {@code shape}), then raw C-order data. No
 * Java library reads npy without pulling in a whole array framework, and the format is a page
 * long, so it is written here.
 */
public final class Npy {
  private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
  private static final Pattern DESCR = Pattern.compile("'descr'\\s*:\\s*'([^']*)'");
  private static final Pattern FORTRAN = Pattern.compile("'fortran_order'\\s*:\\s*(True|False)");
  private static final Pattern SHAPE = Pattern.compile("'shape'\\s*:\\s*\\(([^)]*)\\)");

  private Npy() {}

  /** What an npy header declares. */
  public record Header(DType dtype, long[] shape) {
    public long numel() {
      return HostTensor.numel(shape);
    }

    public long dataBytes() {
      return numel() * dtype.byteSize();
    }
  }

  public static HostTensor read(Path file) {
    try (InputStream in = new BufferedInputStream(Files.newInputStream(file), 1 << 16)) {
      return read(in, file.toString());
    } catch (NoSuchFileException e) {
      throw new InvalidInputException(file + ": no such file");
    } catch (IOException e) {
      throw new InvalidInputException(file + ": cannot read: " + e.getMessage(), e);
    }
  }

  /** Reads a whole array; {@code source} names the file in error messages. */
  public static HostTensor read(InputStream in, String source) throws IOException {
    Header header = readHeader(in, source);
    long bytes = header.dataBytes();
    if (bytes > Integer.MAX_VALUE - 16) {
      throw new InvalidInputException(
          source + ": array of " + bytes + " bytes is too large to load at once; stream it");
    }
    byte[] data = new byte[(int) bytes];
    int got = in.readNBytes(data, 0, data.length);
    if (got != data.length) {
      throw new InvalidInputException(
          source + ": truncated: the header declares " + header.dtype() + Arrays.toString(
              header.shape()) + " (" + bytes + " bytes) but the data ends after " + got + " bytes");
    }
    return new HostTensor(header.dtype(), header.shape(), ByteBuffer.wrap(data));
  }

  /** Reads the header and leaves {@code in} at the first data byte (for streaming large arrays). */
  public static Header readHeader(InputStream in, String source) throws IOException {
    DataInputStream din = new DataInputStream(in);
    byte[] magic = new byte[6];
    try {
      din.readFully(magic);
    } catch (EOFException e) {
      throw new InvalidInputException(source + ": not a .npy file (shorter than its magic)");
    }
    if (!Arrays.equals(magic, MAGIC)) {
      throw new InvalidInputException(source + ": not a .npy file (wrong magic bytes)");
    }
    int major = din.readUnsignedByte();
    din.readUnsignedByte();
    long headerLength;
    if (major == 1) {
      headerLength = Short.toUnsignedInt(Short.reverseBytes(din.readShort()));
    } else if (major == 2 || major == 3) {
      headerLength = Integer.toUnsignedLong(Integer.reverseBytes(din.readInt()));
    } else {
      throw new InvalidInputException(source + ": unsupported .npy format version " + major);
    }
    byte[] text = new byte[Math.toIntExact(headerLength)];
    try {
      din.readFully(text);
    } catch (EOFException e) {
      throw new InvalidInputException(source + ": truncated .npy header");
    }
    String dict = new String(text, major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
    return parseHeader(dict, source);
  }

  private static Header parseHeader(String dict, String source) {
    Matcher descr = DESCR.matcher(dict);
    Matcher fortran = FORTRAN.matcher(dict);
    Matcher shape = SHAPE.matcher(dict);
    if (!descr.find() || !fortran.find() || !shape.find()) {
      throw new InvalidInputException(source + ": malformed .npy header: " + dict.trim());
    }
    String d = descr.group(1);
    if (d.startsWith(">")) {
      throw new InvalidInputException(
          source + ": big-endian arrays (" + d + ") are not supported; save little-endian data");
    }
    DType dtype =
        DType.fromNumpyDescr(d)
            .orElseThrow(
                () ->
                    new InvalidInputException(
                        source + ": unsupported dtype '" + d
                            + "' (expected one of <f8 <f4 <f2 <i8 <i4 <i2 |i1 |u1 |b1)"));
    if (fortran.group(1).equals("True")) {
      throw new InvalidInputException(
          source + ": Fortran-order arrays are not supported; save with np.ascontiguousarray");
    }
    String[] parts = shape.group(1).split(",");
    long[] dims = Arrays.stream(parts).map(String::trim).filter(s -> !s.isEmpty())
        .mapToLong(Long::parseLong).toArray();
    return new Header(dtype, dims);
  }

  public static void write(Path file, HostTensor tensor) {
    try (OutputStream out = Files.newOutputStream(file)) {
      write(out, tensor);
    } catch (IOException e) {
      throw new InvalidInputException(file + ": cannot write: " + e.getMessage(), e);
    }
  }

  /** Writes format version 1.0 (2.0 when the header needs it), as numpy.save does. */
  public static void write(OutputStream out, HostTensor tensor) throws IOException {
    out.write(headerBytes(tensor.dtype(), tensor.shape()));
    ByteBuffer data = tensor.data();
    if (data.hasArray()) {
      out.write(data.array(), data.arrayOffset() + data.position(), data.remaining());
    } else {
      byte[] chunk = new byte[1 << 16];
      while (data.hasRemaining()) {
        int n = Math.min(chunk.length, data.remaining());
        data.get(chunk, 0, n);
        out.write(chunk, 0, n);
      }
    }
  }

  /** The full preamble (magic, version, length, padded dict) for an array of this type and shape. */
  public static byte[] headerBytes(DType dtype, long[] shape) {
    String descr =
        dtype.numpyDescr()
            .orElseThrow(() -> new IllegalArgumentException(dtype + " has no numpy equivalent"));
    StringBuilder s = new StringBuilder("(");
    for (int i = 0; i < shape.length; i++) {
      s.append(shape[i]).append(shape.length == 1 ? "," : (i + 1 < shape.length ? ", " : ""));
    }
    s.append(')');
    String dict = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + s + ", }";
    boolean v2 = dict.length() + 11 > 65535;
    int preamble = v2 ? 12 : 10;
    int total = preamble + dict.length() + 1;
    int padded = (total + 63) / 64 * 64;
    String header = dict + " ".repeat(padded - total) + "\n";
    ByteBuffer b = ByteBuffer.allocate(padded).order(ByteOrder.LITTLE_ENDIAN);
    b.put(MAGIC).put((byte) (v2 ? 2 : 1)).put((byte) 0);
    if (v2) {
      b.putInt(header.length());
    } else {
      b.putShort((short) header.length());
    }
    b.put(header.getBytes(StandardCharsets.ISO_8859_1));
    return b.array();
  }
}
