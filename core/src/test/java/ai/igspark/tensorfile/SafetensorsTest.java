package ai.igspark.tensorfile;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.igspark.data.InvalidInputException;
import ai.igspark.testsupport.Fixtures;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsTest {
  @TempDir Path dir;

  private static final float[] PROBE = {0f, -0f, 1f, -2.5f, 0.1f, 65504f, 1e-8f, 3.14159f};

  private static HostTensor tensorOf(DType dtype) {
    long[] shape = {2, 4};
    return switch (dtype) {
      case F32, F16, BF16, F64 -> HostTensor.ofFloatsAs(dtype, shape, PROBE);
      case I64 -> HostTensor.ofLongs(shape, new long[] {1, -1, 1L << 50, 0, 7, 8, 9, 10});
      case I32 -> HostTensor.ofInts(shape, new int[] {1, -1, 1 << 30, 0, 7, 8, 9, 10});
      case U8 -> HostTensor.ofUnsignedBytes(shape, new byte[] {0, 1, (byte) 255, 3, 4, 5, 6, 7});
      case I16, I8, BOOL -> new HostTensor(dtype, shape,
          ByteBuffer.wrap(new byte[8 * dtype.byteSize()]));
    };
  }

  @Test
  void everyDTypeRoundTripsThroughAFile() {
    SafetensorsWriter w = new SafetensorsWriter().metadata("format", "pt");
    for (DType d : DType.values()) {
      w.add("t_" + d, tensorOf(d));
    }
    Path f = dir.resolve("all.safetensors");
    long bytes = w.write(f);
    assertEquals(bytes, f.toFile().length());
    try (SafetensorsFile st = SafetensorsFile.open(f)) {
      assertEquals(Arrays.stream(DType.values()).map(d -> "t_" + d).toList(), st.names());
      assertEquals(Map.of("format", "pt"), st.metadata());
      for (DType d : DType.values()) {
        assertEquals(tensorOf(d), st.read("t_" + d), d.toString());
        assertEquals(d, st.info("t_" + d).dtype());
      }
    }
  }

  @Test
  void bf16IsWidenedToFloat32OnRead() {
    Path f = dir.resolve("bf.safetensors");
    new SafetensorsWriter().add("w", HostTensor.ofFloatsAs(DType.BF16, new long[] {8}, PROBE))
        .write(f);
    try (SafetensorsFile st = SafetensorsFile.open(f)) {
      float[] v = st.read("w").toFloats();
      for (int i = 0; i < PROBE.length; i++) {
        assertEquals(PROBE[i], v[i], Math.abs(PROBE[i]) / 128f, "element " + i);
      }
      assertEquals(-2.5f, v[3], 0f); // exactly representable
    }
  }

  @Test
  void aStreamReadsTheSameAsAMappedFile() throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    new SafetensorsWriter().add("a", tensorOf(DType.F16)).add("b", tensorOf(DType.I64))
        .write(out);
    SafetensorsFile st = SafetensorsFile.read(new ByteArrayInputStream(out.toByteArray()), "mem");
    assertEquals(tensorOf(DType.F16), st.read("a"));
    assertEquals(tensorOf(DType.I64), st.read("b"));
  }

  @Test
  void headerIsPaddedToEightBytes() {
    byte[] h = new SafetensorsWriter().add("x", tensorOf(DType.U8)).headerBytes();
    assertEquals(0, h.length % 8);
    assertEquals(h.length - 8, ByteBuffer.wrap(h).order(ByteOrder.LITTLE_ENDIAN).getLong());
  }

  @Test
  void fileWrittenByPythonIsReadExactly() throws IOException {
    JsonNode want = new ObjectMapper().readTree(
        Fixtures.path("safetensors/python.json").toFile());
    Path file = Fixtures.path("safetensors/python.safetensors");
    try (SafetensorsFile st = SafetensorsFile.open(file)) {
      assertEquals("gen_safetensors.py", st.metadata().get("writer"));
      for (String name : List.of("f32", "f16", "bf16")) {
        HostTensor t = st.read(name);
        assertArrayEquals(new long[] {3, 4}, t.shape());
        float[] v = t.toFloats();
        for (int i = 0; i < v.length; i++) {
          assertEquals((float) want.get(name).get(i).asDouble(), v[i], 0f, name + "[" + i + "]");
        }
      }
      assertEquals(DType.BF16, st.info("bf16").dtype());
      assertArrayEquals(new double[] {1e-300, -2.5}, st.read("f64").toDoubles());
      assertArrayEquals(new long[] {1L << 40, -7, 0}, st.read("i64").toLongs());
      assertArrayEquals(new long[] {5, -5}, st.read("i32").toLongs());
      assertArrayEquals(new long[] {0, 1, 128, 255}, st.read("u8").toLongs());
      assertEquals(0, st.read("empty").numel());
      assertArrayEquals(new long[0], st.read("scalar").shape());
      assertEquals(4.5f, st.read("scalar").toFloats()[0]);
    }
  }

  // ---- bad input -------------------------------------------------------------------------------

  private Path bytesFile(String name, byte[] content) throws IOException {
    Path f = dir.resolve(name);
    Files.write(f, content);
    return f;
  }

  private static byte[] withHeader(String json, int dataBytes) {
    byte[] h = json.getBytes(StandardCharsets.UTF_8);
    return ByteBuffer.allocate(8 + h.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN)
        .putLong(h.length).put(h).array();
  }

  private static String openFails(Path f) {
    InvalidInputException e =
        assertThrows(InvalidInputException.class, () -> SafetensorsFile.open(f).close());
    assertTrue(e.getMessage().contains(f.toString()), e.getMessage());
    return e.getMessage();
  }

  @Test
  void textFileIsNotSafetensors() throws IOException {
    String m = openFails(bytesFile("readme.safetensors",
        "this is plain text, not a tensor file at all".getBytes(StandardCharsets.UTF_8)));
    assertTrue(m.contains("not safetensors"), m);
  }

  @Test
  void tinyFileIsNotSafetensors() throws IOException {
    assertTrue(openFails(bytesFile("tiny.safetensors", new byte[3])).contains("not safetensors"));
  }

  @Test
  void truncatedDataIsReported() throws IOException {
    Path f = dir.resolve("full.safetensors");
    new SafetensorsWriter().add("w", tensorOf(DType.F32)).write(f);
    byte[] all = Files.readAllBytes(f);
    String m = openFails(bytesFile("cut.safetensors", Arrays.copyOf(all, all.length - 5)));
    assertTrue(m.contains("truncated"), m);
  }

  @Test
  void truncatedHeaderIsReported() throws IOException {
    Path f = dir.resolve("full.safetensors");
    new SafetensorsWriter().add("w", tensorOf(DType.F32)).write(f);
    byte[] all = Files.readAllBytes(f);
    String m = openFails(bytesFile("cut.safetensors", Arrays.copyOf(all, 20)));
    assertTrue(m.contains("truncated"), m);
  }

  @Test
  void unknownDTypeIsNamed() throws IOException {
    String m = openFails(bytesFile("c.safetensors", withHeader(
        "{\"w\":{\"dtype\":\"C64\",\"shape\":[1],\"data_offsets\":[0,8]}}", 8)));
    assertTrue(m.contains("unknown dtype C64") && m.contains("'w'"), m);
  }

  @Test
  void sizeThatDisagreesWithShapeIsNamed() throws IOException {
    String m = openFails(bytesFile("s.safetensors", withHeader(
        "{\"w\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8)));
    assertTrue(m.contains("'w'") && m.contains("12 bytes"), m);
  }

  @Test
  void gapBetweenTensorsIsRejected() throws IOException {
    String m = openFails(bytesFile("g.safetensors", withHeader(
        "{\"a\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[0,2]},"
            + "\"b\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[4,6]}}", 6)));
    assertTrue(m.contains("contiguous") && m.contains("'b'"), m);
  }

  @Test
  void trailingBytesAreRejected() throws IOException {
    String m = openFails(bytesFile("t.safetensors", withHeader(
        "{\"a\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[0,2]}}", 9)));
    assertTrue(m.contains("follow the last tensor"), m);
  }

  @Test
  void headerThatIsNotJsonIsRejected() throws IOException {
    String m = openFails(bytesFile("j.safetensors", withHeader("{\"a\": oops}", 0)));
    assertTrue(m.contains("not JSON"), m);
  }

  @Test
  void missingFileIsNamed() {
    assertTrue(openFails(dir.resolve("nope.safetensors")).contains("no such file"));
  }

  @Test
  void missingTensorIsNamed() {
    Path f = dir.resolve("one.safetensors");
    new SafetensorsWriter().add("w", tensorOf(DType.F32)).write(f);
    try (SafetensorsFile st = SafetensorsFile.open(f)) {
      InvalidInputException e = assertThrows(InvalidInputException.class, () -> st.read("bias"));
      assertTrue(e.getMessage().contains("'bias'") && e.getMessage().contains("one.safetensors"));
    }
  }

  @Test
  void truncatedStreamIsReported() throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    new SafetensorsWriter().add("a", tensorOf(DType.F32)).write(out);
    byte[] all = out.toByteArray();
    InvalidInputException e = assertThrows(InvalidInputException.class, () -> SafetensorsFile.read(
        new ByteArrayInputStream(Arrays.copyOf(all, all.length - 1)), "hdfs://x/a.safetensors"));
    assertTrue(e.getMessage().contains("hdfs://x/a.safetensors: truncated"), e.getMessage());
  }
}
