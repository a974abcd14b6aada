package ai.igspark.tensorfile;

import ai.igspark.data.InvalidInputException;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.Deflater;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;

/**
 * NumPy {@code .npz} archives: a zip of {@code <key>.npy} entries (stored or deflated). Used for
 * ADM reference statistics and sample batches. Large arrays (an ADM sample batch is 50,000 ×
 * 256 × 256 × 3 bytes) are read as streams with {@link #openArray}.
 */
public final class Npz implements AutoCloseable {
  private final Path file;
  private final ZipFile zip;

  private Npz(Path file, ZipFile zip) {
    this.file = file;
    this.zip = zip;
  }

  public static Npz open(Path file) {
    try {
      return new Npz(file, new ZipFile(file.toFile()));
    } catch (NoSuchFileException | java.io.FileNotFoundException e) {
      throw new InvalidInputException(file + ": no such file");
    } catch (ZipException e) {
      throw new InvalidInputException(file + ": not an .npz archive (" + e.getMessage() + ")");
    } catch (IOException e) {
      throw new InvalidInputException(file + ": cannot read: " + e.getMessage(), e);
    }
  }

  /** Reads every array of a small archive into memory. */
  public static Map<String, HostTensor> readAll(Path file) {
    try (Npz npz = open(file)) {
      Map<String, HostTensor> out = new LinkedHashMap<>();
      for (String key : npz.keys()) {
        out.put(key, npz.read(key));
      }
      return out;
    }
  }

  /** Array names, without the {@code .npy} suffix, in archive order. */
  public List<String> keys() {
    List<String> keys = new ArrayList<>();
    for (ZipEntry e : Collections.list(zip.entries())) {
      if (!e.isDirectory() && e.getName().endsWith(".npy")) {
        keys.add(e.getName().substring(0, e.getName().length() - 4));
      }
    }
    return keys;
  }

  public boolean has(String key) {
    return zip.getEntry(key + ".npy") != null;
  }

  public HostTensor read(String key) {
    try (InputStream in = stream(key)) {
      return Npy.read(in, source(key));
    } catch (IOException e) {
      throw new InvalidInputException(source(key) + ": cannot read: " + e.getMessage(), e);
    }
  }

  /** A streamed array: its header, and the stream positioned at the first data byte. */
  public record ArrayStream(Npy.Header header, InputStream data) implements AutoCloseable {
    @Override
    public void close() throws IOException {
      data.close();
    }
  }

  public ArrayStream openArray(String key) {
    InputStream in = stream(key);
    try {
      return new ArrayStream(Npy.readHeader(in, source(key)), in);
    } catch (IOException | RuntimeException e) {
      try {
        in.close();
      } catch (IOException suppressed) {
        e.addSuppressed(suppressed);
      }
      if (e instanceof RuntimeException r) {
        throw r;
      }
      throw new InvalidInputException(source(key) + ": cannot read: " + e.getMessage(), e);
    }
  }

  private InputStream stream(String key) {
    ZipEntry entry = zip.getEntry(key + ".npy");
    if (entry == null) {
      throw new InvalidInputException(
          file + ": no array '" + key + "' (the archive holds: " + String.join(", ", keys()) + ")");
    }
    try {
      return new BufferedInputStream(zip.getInputStream(entry), 1 << 16);
    } catch (IOException e) {
      throw new InvalidInputException(source(key) + ": cannot read: " + e.getMessage(), e);
    }
  }

  private String source(String key) {
    return file + "[" + key + "]";
  }

  public Path file() {
    return file;
  }

  @Override
  public void close() {
    try {
      zip.close();
    } catch (IOException e) {
      // read-only archive: nothing is lost if closing fails
    }
  }

  /** Writes arrays as {@code numpy.savez} does (uncompressed entries, in map order). */
  public static void write(Path file, Map<String, HostTensor> arrays) {
    try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(file), 1 << 16)) {
      write(out, arrays);
    } catch (IOException e) {
      throw new InvalidInputException(file + ": cannot write: " + e.getMessage(), e);
    }
  }

  public static void write(OutputStream out, Map<String, HostTensor> arrays) throws IOException {
    ZipOutputStream zip = new ZipOutputStream(out);
    zip.setLevel(Deflater.NO_COMPRESSION);
    for (Map.Entry<String, HostTensor> e : arrays.entrySet()) {
      zip.putNextEntry(new ZipEntry(e.getKey() + ".npy"));
      Npy.write(zip, e.getValue());
      zip.closeEntry();
    }
    zip.finish();
  }
}
