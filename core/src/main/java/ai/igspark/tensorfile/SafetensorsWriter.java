package ai.igspark.tensorfile;

import ai.igspark.data.InvalidInputException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Writes named tensors as one safetensors file, in insertion order, with an optional {@code
 * __metadata__} map. The header is padded with spaces to a multiple of 8 bytes, as the reference
 * implementation does, so the data section stays aligned.
 *
 * <pre>{@code
 * new SafetensorsWriter().metadata("format", "pt").add("w", tensor).write(out);
 * }</pre>
 */
public final class SafetensorsWriter {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Map<String, HostTensor> tensors = new LinkedHashMap<>();
  private final Map<String, String> metadata = new LinkedHashMap<>();

  public SafetensorsWriter add(String name, HostTensor tensor) {
    if (name.equals("__metadata__")) {
      throw new IllegalArgumentException("__metadata__ is reserved");
    }
    if (tensors.putIfAbsent(name, tensor) != null) {
      throw new IllegalArgumentException("tensor '" + name + "' added twice");
    }
    return this;
  }

  public SafetensorsWriter addAll(Map<String, HostTensor> named) {
    named.forEach(this::add);
    return this;
  }

  public SafetensorsWriter metadata(String key, String value) {
    metadata.put(key, value);
    return this;
  }

  public SafetensorsWriter metadata(Map<String, String> entries) {
    metadata.putAll(entries);
    return this;
  }

  /** The header bytes, length prefix included. */
  public byte[] headerBytes() {
    ObjectNode root = JSON.createObjectNode();
    if (!metadata.isEmpty()) {
      ObjectNode m = root.putObject("__metadata__");
      metadata.forEach(m::put);
    }
    long offset = 0;
    for (Map.Entry<String, HostTensor> e : tensors.entrySet()) {
      HostTensor t = e.getValue();
      ObjectNode n = root.putObject(e.getKey());
      n.put("dtype", t.dtype().safetensorsName());
      ArrayNode shape = n.putArray("shape");
      for (long d : t.shape()) {
        shape.add(d);
      }
      long size = t.numel() * t.dtype().byteSize();
      n.putArray("data_offsets").add(offset).add(offset + size);
      offset += size;
    }
    byte[] json = root.toString().getBytes(StandardCharsets.UTF_8);
    int padded = (json.length + 7) / 8 * 8;
    ByteBuffer b = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
    b.putLong(padded).put(json);
    while (b.hasRemaining()) {
      b.put((byte) ' ');
    }
    return b.array();
  }

  /** Total file size in bytes. */
  public long byteSize() {
    long n = headerBytes().length;
    for (HostTensor t : tensors.values()) {
      n += t.numel() * t.dtype().byteSize();
    }
    return n;
  }

  /** Writes the file to a stream (which is not closed); returns the bytes written. */
  public long write(OutputStream out) throws IOException {
    byte[] header = headerBytes();
    out.write(header);
    long n = header.length;
    byte[] chunk = null;
    for (HostTensor t : tensors.values()) {
      ByteBuffer data = t.data();
      n += data.remaining();
      if (data.hasArray()) {
        out.write(data.array(), data.arrayOffset() + data.position(), data.remaining());
        continue;
      }
      if (chunk == null) {
        chunk = new byte[1 << 16];
      }
      while (data.hasRemaining()) {
        int k = Math.min(chunk.length, data.remaining());
        data.get(chunk, 0, k);
        out.write(chunk, 0, k);
      }
    }
    out.flush();
    return n;
  }

  public long write(Path file) {
    try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(file), 1 << 16)) {
      return write(out);
    } catch (IOException e) {
      throw new InvalidInputException(file + ": cannot write: " + e.getMessage(), e);
    }
  }
}
