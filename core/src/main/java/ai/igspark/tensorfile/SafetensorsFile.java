package ai.igspark.tensorfile;

import ai.igspark.data.InvalidInputException;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A safetensors file: 8-byte little-endian header length, a JSON header naming every tensor's
 * dtype, shape and byte range, then the raw little-endian data.
 *
 * <p>Local files are memory-mapped lazily, one tensor at a time (a tensor may be up to 2 GiB; the
 * file may be larger, as a SiT-XL checkpoint is). Streams (HDFS) are read into the heap. Opening
 * validates the whole layout strictly, so a reader never sees a tensor that runs off the file.
 * DJL has a safetensors decoder, but it loses tensor order, cannot map a file lazily and aborts
 * the JVM on BF16, hence this reader.
 */
public final class SafetensorsFile implements AutoCloseable {
  /** Headers beyond this are not plausible safetensors files (the Rust reader caps at 100 MB). */
  static final long MAX_HEADER_BYTES = 100L << 20;

  private static final ObjectMapper JSON = new ObjectMapper();

  /** One tensor's entry: dtype, shape and its byte range within the data section. */
  public record TensorInfo(String name, DType dtype, long[] shape, long begin, long end) {
    public TensorInfo {
      shape = shape.clone();
    }

    @Override
    public long[] shape() {
      return shape.clone();
    }

    public long numel() {
      return HostTensor.numel(shape);
    }

    public long byteSize() {
      return end - begin;
    }

    @Override
    public String toString() {
      return name + ": " + dtype + Arrays.toString(shape);
    }
  }

  private final String source;
  private final Map<String, TensorInfo> tensors;
  private final Map<String, String> metadata;
  private final long dataStart;
  private final FileChannel channel; // null when the bytes are held in memory
  private final ByteBuffer bytes; // the data section, when held in memory

  private SafetensorsFile(
      String source,
      Map<String, TensorInfo> tensors,
      Map<String, String> metadata,
      long dataStart,
      FileChannel channel,
      ByteBuffer bytes) {
    this.source = source;
    this.tensors = tensors;
    this.metadata = metadata;
    this.dataStart = dataStart;
    this.channel = channel;
    this.bytes = bytes;
  }

  /** Opens and validates a local file; tensors are mapped when first read. */
  public static SafetensorsFile open(Path file) {
    String source = file.toString();
    FileChannel channel;
    try {
      channel = FileChannel.open(file, StandardOpenOption.READ);
    } catch (NoSuchFileException e) {
      throw new InvalidInputException(source + ": no such file");
    } catch (IOException e) {
      throw new InvalidInputException(source + ": cannot read: " + e.getMessage(), e);
    }
    try {
      long size = channel.size();
      if (size < 8) {
        throw notSafetensors(source, "the file has only " + size + " bytes");
      }
      ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
      readFully(channel, len, 0);
      long headerLength = len.getLong(0);
      checkHeaderLength(source, headerLength, size);
      ByteBuffer header = ByteBuffer.allocate((int) headerLength);
      readFully(channel, header, 8);
      Parsed parsed = parseHeader(source, header.array(), size - 8 - headerLength);
      return new SafetensorsFile(
          source, parsed.tensors, parsed.metadata, 8 + headerLength, channel, null);
    } catch (IOException e) {
      closeQuietly(channel);
      throw new InvalidInputException(source + ": cannot read: " + e.getMessage(), e);
    } catch (RuntimeException e) {
      closeQuietly(channel);
      throw e;
    }
  }

  /**
   * Reads and validates a whole file from a stream (e.g. a Hadoop FileSystem stream); {@code
   * source} names it in error messages.
   */
  public static SafetensorsFile read(InputStream in, String source) throws IOException {
    byte[] len = in.readNBytes(8);
    if (len.length < 8) {
      throw notSafetensors(source, "the stream has only " + len.length + " bytes");
    }
    long headerLength = ByteBuffer.wrap(len).order(ByteOrder.LITTLE_ENDIAN).getLong();
    checkHeaderLength(source, headerLength, Long.MAX_VALUE);
    byte[] header = in.readNBytes((int) headerLength);
    if (header.length < headerLength) {
      if (header.length == 0 || header[0] != '{') {
        throw notSafetensors(source, "no JSON header after the length");
      }
      throw new InvalidInputException(
          source + ": truncated: the header declares " + headerLength + " bytes but the stream "
              + "ends after " + header.length);
    }
    Parsed parsed = parseHeader(source, header, -1);
    long need = parsed.dataBytes;
    if (need > Integer.MAX_VALUE - 16) {
      throw new InvalidInputException(
          source + ": " + need + " bytes of tensors are too many to read from a stream; copy the "
              + "file to local disk and open it there");
    }
    byte[] data = in.readNBytes((int) need);
    if (data.length < need) {
      throw new InvalidInputException(
          source + ": truncated: the header declares " + need + " bytes of tensor data but the "
              + "stream ends after " + data.length);
    }
    if (in.read() != -1) {
      throw notSafetensors(source, "bytes follow the last tensor");
    }
    return new SafetensorsFile(
        source, parsed.tensors, parsed.metadata, 0, null,
        ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN));
  }

  /**
   * The header of a safetensors file: its tensors (offsets relative to {@code dataStart}),
   * metadata, and where the data section starts in the file.
   */
  public record Header(Map<String, TensorInfo> tensors, Map<String, String> metadata,
      long dataStart) {}

  /**
   * Reads and validates only the header from the start of a stream of a file of {@code fileSize}
   * bytes, so a check can look at tensor names, dtypes and shapes (and seek to one small tensor)
   * without reading the data.
   */
  public static Header readHeader(InputStream in, long fileSize, String source)
      throws IOException {
    if (fileSize < 8) {
      throw notSafetensors(source, "the file has only " + fileSize + " bytes");
    }
    byte[] len = in.readNBytes(8);
    long headerLength = ByteBuffer.wrap(len).order(ByteOrder.LITTLE_ENDIAN).getLong();
    checkHeaderLength(source, headerLength, fileSize);
    byte[] header = in.readNBytes((int) headerLength);
    Parsed parsed = parseHeader(source, header, fileSize - 8 - headerLength);
    return new Header(parsed.tensors, parsed.metadata, 8 + headerLength);
  }

  public String source() {
    return source;
  }

  /** Tensor names in data order (the order they were written in). */
  public List<String> names() {
    return List.copyOf(tensors.keySet());
  }

  public boolean has(String name) {
    return tensors.containsKey(name);
  }

  public TensorInfo info(String name) {
    TensorInfo info = tensors.get(name);
    if (info == null) {
      throw new InvalidInputException(
          source + ": no tensor '" + name + "' (the file holds " + tensors.size() + " tensors"
              + (tensors.isEmpty() ? "" : ", e.g. " + tensors.keySet().iterator().next()) + ")");
    }
    return info;
  }

  /** The {@code __metadata__} string map (empty when the file has none). */
  public Map<String, String> metadata() {
    return metadata;
  }

  /** A tensor as stored (BF16 stays BF16: widen with {@link HostTensor#toFloats()}). */
  public HostTensor read(String name) {
    TensorInfo info = info(name);
    return new HostTensor(info.dtype(), info.shape(), bytes(name));
  }

  /** Every tensor, in data order. */
  public Map<String, HostTensor> readAll() {
    Map<String, HostTensor> out = new LinkedHashMap<>();
    for (String name : tensors.keySet()) {
      out.put(name, read(name));
    }
    return out;
  }

  /** The raw little-endian bytes of one tensor: a read-only mapping for files, a view otherwise. */
  public ByteBuffer bytes(String name) {
    TensorInfo info = info(name);
    if (info.byteSize() > Integer.MAX_VALUE) {
      throw new InvalidInputException(
          source + ": tensor '" + name + "' has " + info.byteSize() + " bytes, over the 2 GiB "
              + "a single buffer can hold");
    }
    if (channel == null) {
      return bytes.slice((int) info.begin(), (int) info.byteSize()).order(ByteOrder.LITTLE_ENDIAN);
    }
    try {
      if (info.byteSize() == 0) {
        return ByteBuffer.allocate(0).order(ByteOrder.LITTLE_ENDIAN);
      }
      return channel
          .map(FileChannel.MapMode.READ_ONLY, dataStart + info.begin(), info.byteSize())
          .order(ByteOrder.LITTLE_ENDIAN);
    } catch (IOException e) {
      throw new InvalidInputException(source + ": cannot map '" + name + "': " + e.getMessage(), e);
    }
  }

  @Override
  public void close() {
    if (channel != null) {
      closeQuietly(channel);
    }
  }

  // ---------------------------------------------------------------------------------------------

  private record Parsed(Map<String, TensorInfo> tensors, Map<String, String> metadata,
      long dataBytes) {}

  private static void checkHeaderLength(String source, long headerLength, long fileSize) {
    if (headerLength <= 0 || headerLength > MAX_HEADER_BYTES) {
      throw notSafetensors(source, "implausible header length " + headerLength);
    }
    if (headerLength > fileSize - 8) {
      throw new InvalidInputException(
          source + ": truncated: the header length is " + headerLength + " bytes but the file has "
              + "only " + (fileSize - 8) + " bytes after it");
    }
  }

  /**
   * Parses and validates the header. {@code dataBytes} is the size of the data section, or -1
   * when it is not yet known (streams; the caller checks it).
   */
  private static Parsed parseHeader(String source, byte[] header, long dataBytes) {
    if (header[0] != '{') {
      throw notSafetensors(source, "the header does not start with '{'");
    }
    JsonNode root;
    try {
      root = JSON.readTree(new String(header, StandardCharsets.UTF_8));
    } catch (JsonProcessingException e) {
      throw notSafetensors(source, "the header is not JSON (" + e.getOriginalMessage() + ")");
    }
    if (root == null || !root.isObject()) {
      throw notSafetensors(source, "the header is not a JSON object");
    }
    Map<String, String> metadata = new LinkedHashMap<>();
    List<TensorInfo> list = new ArrayList<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      String name = e.getKey();
      JsonNode v = e.getValue();
      if (name.equals("__metadata__")) {
        if (!v.isObject()) {
          throw bad(source, "__metadata__ is not an object");
        }
        v.fields().forEachRemaining(m -> {
          if (!m.getValue().isTextual()) {
            throw bad(source, "__metadata__." + m.getKey() + " is not a string");
          }
          metadata.put(m.getKey(), m.getValue().asText());
        });
        continue;
      }
      list.add(parseEntry(source, name, v));
    }
    list.sort(Comparator.comparingLong(TensorInfo::begin).thenComparingLong(TensorInfo::end));
    long expected = 0;
    for (TensorInfo t : list) {
      if (t.begin() != expected) {
        throw bad(source, "tensor '" + t.name() + "' starts at byte " + t.begin() + " but the "
            + "previous tensor ends at " + expected + " (offsets must be contiguous)");
      }
      expected = t.end();
    }
    if (dataBytes >= 0) {
      if (dataBytes < expected) {
        throw new InvalidInputException(
            source + ": truncated: the tensors need " + expected + " bytes of data but the file "
                + "holds " + dataBytes);
      }
      if (dataBytes > expected) {
        throw notSafetensors(source, (dataBytes - expected) + " bytes follow the last tensor");
      }
    }
    Map<String, TensorInfo> tensors = new LinkedHashMap<>();
    for (TensorInfo t : list) {
      tensors.put(t.name(), t);
    }
    return new Parsed(Collections.unmodifiableMap(tensors),
        Collections.unmodifiableMap(metadata), expected);
  }

  private static TensorInfo parseEntry(String source, String name, JsonNode v) {
    if (!v.isObject()) {
      throw bad(source, "entry '" + name + "' is not an object");
    }
    JsonNode dt = v.get("dtype");
    JsonNode sh = v.get("shape");
    JsonNode off = v.get("data_offsets");
    if (dt == null || !dt.isTextual() || sh == null || !sh.isArray() || off == null
        || !off.isArray() || off.size() != 2) {
      throw bad(source, "entry '" + name + "' needs dtype, shape and data_offsets [begin, end]");
    }
    DType dtype = DType.fromSafetensorsName(dt.asText()).orElseThrow(() ->
        bad(source, "tensor '" + name + "' has unknown dtype " + dt.asText() + " (expected one "
            + "of " + Arrays.toString(DType.values()) + ")"));
    long[] shape = new long[sh.size()];
    for (int i = 0; i < shape.length; i++) {
      JsonNode d = sh.get(i);
      if (!d.canConvertToLong() || !d.isIntegralNumber() || d.asLong() < 0) {
        throw bad(source, "tensor '" + name + "' has a bad shape " + sh);
      }
      shape[i] = d.asLong();
    }
    for (JsonNode o : off) {
      if (!o.isIntegralNumber() || !o.canConvertToLong() || o.asLong() < 0) {
        throw bad(source, "tensor '" + name + "' has bad data_offsets " + off);
      }
    }
    long begin = off.get(0).asLong();
    long end = off.get(1).asLong();
    if (end < begin) {
      throw bad(source, "tensor '" + name + "' ends before it begins: " + off);
    }
    long size;
    try {
      size = Math.multiplyExact(HostTensor.numel(shape), dtype.byteSize());
    } catch (ArithmeticException e) {
      throw bad(source, "tensor '" + name + "' has an impossible shape " + sh);
    }
    if (end - begin != size) {
      throw bad(source, "tensor '" + name + "' is " + dtype + Arrays.toString(shape) + " ("
          + size + " bytes) but its data_offsets span " + (end - begin) + " bytes");
    }
    return new TensorInfo(name, dtype, shape, begin, end);
  }

  private static InvalidInputException notSafetensors(String source, String why) {
    return new InvalidInputException(source + ": not safetensors: " + why);
  }

  private static InvalidInputException bad(String source, String why) {
    return new InvalidInputException(source + ": invalid safetensors header: " + why);
  }

  private static void readFully(FileChannel ch, ByteBuffer dst, long position) throws IOException {
    long pos = position;
    while (dst.hasRemaining()) {
      int n = ch.read(dst, pos);
      if (n < 0) {
        throw new IOException("unexpected end of file");
      }
      pos += n;
    }
  }

  private static void closeQuietly(FileChannel ch) {
    try {
      ch.close();
    } catch (IOException e) {
      // read-only: nothing is lost
    }
  }
}
