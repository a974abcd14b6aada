package ai.igspark.tensorfile;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.igspark.data.InvalidInputException;
import ai.igspark.testsupport.Fixtures;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NpyTest {
  @TempDir Path dir;

  @Test
  void readsNumpyFloat32Matrix() {
    HostTensor t = Npy.read(Fixtures.path("npy/f4_2x3.npy"));
    assertEquals(DType.F32, t.dtype());
    assertArrayEquals(new long[] {2, 3}, t.shape());
    assertEquals(5f / 7f, t.toFloats()[5], 0f);
  }

  @Test
  void readsNumpyInt64AndScalar() {
    assertArrayEquals(
        new long[] {-3, 0, 2, 1L << 40, 9}, Npy.read(Fixtures.path("npy/i8_5.npy")).toLongs());
    HostTensor scalar = Npy.read(Fixtures.path("npy/f8_scalar.npy"));
    assertEquals(0, scalar.shape().length);
    assertEquals(3.25, scalar.toDoubles()[0]);
  }

  @Test
  void writtenFileReadsBackIdentically() throws Exception {
    HostTensor u8 = Npy.read(Fixtures.path("npy/u1_2x2x3.npy"));
    Path p = dir.resolve("copy.npy");
    Npy.write(p, u8);
    assertEquals(u8, Npy.read(p));
    // numpy pads the preamble to a multiple of 64 bytes; so do we
    assertEquals(0, (Files.size(p) - 12) % 64);
  }

  @Test
  void truncatedFileNamesTheFileAndTheShortfall() throws Exception {
    byte[] full = Files.readAllBytes(Fixtures.path("npy/f4_2x3.npy"));
    Path p = dir.resolve("short.npy");
    Files.write(p, Arrays.copyOf(full, full.length - 5));
    var e = assertThrows(InvalidInputException.class, () -> Npy.read(p));
    assertTrue(e.getMessage().contains("short.npy"), e.getMessage());
    assertTrue(e.getMessage().contains("truncated"), e.getMessage());
  }

  @Test
  void fileWithoutMagicIsRejected() throws Exception {
    Path p = dir.resolve("text.npy");
    Files.writeString(p, "hello, this is not numpy");
    var e = assertThrows(InvalidInputException.class, () -> Npy.read(p));
    assertTrue(e.getMessage().contains("text.npy: not a .npy file"), e.getMessage());
  }

  @Test
  void npzArchivesReadByKeyIncludingCompressed() {
    Map<String, HostTensor> stats = Npz.readAll(Fixtures.path("npy/stats.npz"));
    assertEquals(java.util.List.of("mu", "sigma"), java.util.List.copyOf(stats.keySet()));
    assertEquals(2.0, stats.get("sigma").toDoubles()[5]);
    try (Npz npz = Npz.open(Fixtures.path("npy/compressed.npz"))) {
      assertEquals(11, npz.read("arr_0").toLongs()[11]);
    }
  }

  @Test
  void npzRoundTripAndMissingKeyListsWhatIsThere() {
    Map<String, HostTensor> arrays = new LinkedHashMap<>();
    arrays.put("mu", HostTensor.ofDoubles(new long[] {3}, new double[] {1, 2, 3}));
    arrays.put("labels", HostTensor.ofLongs(new long[] {2}, new long[] {4, 5}));
    Path p = dir.resolve("a.npz");
    Npz.write(p, arrays);
    assertEquals(arrays, Npz.readAll(p));
    try (Npz npz = Npz.open(p)) {
      var e = assertThrows(InvalidInputException.class, () -> npz.read("sigma"));
      assertTrue(e.getMessage().contains("no array 'sigma'"), e.getMessage());
      assertTrue(e.getMessage().contains("mu, labels"), e.getMessage());
    }
  }
}
