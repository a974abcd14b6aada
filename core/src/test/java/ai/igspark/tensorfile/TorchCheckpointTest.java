package ai.igspark.tensorfile;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.igspark.data.InvalidInputException;
import ai.igspark.testsupport.Fixtures;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Against checkpoints written by torch 1.13 (src/test/python/gen_torch_ckpt.py). */
class TorchCheckpointTest {
  private static final Path CKPT = Fixtures.path("torch/ckpt.pt");

  private static JsonNode expected() throws IOException {
    return new ObjectMapper().readTree(Fixtures.path("torch/values.json").toFile());
  }

  private static void assertMatches(JsonNode want, HostTensor got, String name) {
    assertEquals(want.get("dtype").asText(), got.dtype().safetensorsName(), name);
    long[] shape = new long[want.get("shape").size()];
    for (int i = 0; i < shape.length; i++) {
      shape[i] = want.get("shape").get(i).asLong();
    }
    assertArrayEquals(shape, got.shape(), name);
    JsonNode values = want.get("values");
    if (got.dtype().isFloatingPoint()) {
      float[] f = got.toFloats();
      for (int i = 0; i < f.length; i++) {
        assertEquals((float) values.get(i).asDouble(), f[i], 0f, name + "[" + i + "]");
      }
    } else {
      long[] l = got.toLongs();
      for (int i = 0; i < l.length; i++) {
        assertEquals(values.get(i).asLong(), l[i], name + "[" + i + "]");
      }
    }
  }

  @Test
  void modelAndEmaStateDictsMatchPyTorch() throws IOException {
    TorchCheckpoint ckpt = TorchCheckpoint.read(CKPT);
    JsonNode want = expected();
    for (String key : List.of("model", "ema")) {
      Map<String, HostTensor> sd = ckpt.stateDict(key);
      List<String> names = new java.util.ArrayList<>();
      want.get(key).fieldNames().forEachRemaining(names::add);
      assertEquals(names, List.copyOf(sd.keySet()), "state dict order of " + key);
      for (String name : names) {
        assertMatches(want.get(key).get(name), sd.get(name), key + "." + name);
      }
    }
  }

  @Test
  void transposedAndOffsetViewsAreMaterialisedContiguously() {
    Map<String, HostTensor> model = TorchCheckpoint.read(CKPT).stateDict("model");
    HostTensor t = model.get("blocks.0.attn.qkv.weight"); // base[4,6].t()
    assertArrayEquals(new long[] {6, 4}, t.shape());
    float[] v = t.toFloats();
    // base[i][j] = (6i + j)·0.25 − 1, so t[j][i] at row j, column i
    assertEquals(1 * 0.25f - 1, v[1 * 4 + 0]);
    assertEquals((6 * 3 + 5) * 0.25f - 1, v[5 * 4 + 3]);
    float[] bias = model.get("blocks.0.attn.qkv.bias").toFloats(); // base.flat[5:11]
    assertEquals(5 * 0.25f - 1, bias[0]);
    assertEquals(10 * 0.25f - 1, bias[5]);
  }

  @Test
  void bf16IsWidenedExactly() {
    HostTensor bf = TorchCheckpoint.read(CKPT).stateDict("model").get("bf");
    assertEquals(DType.BF16, bf.dtype());
    assertEquals(0.3f, bf.toFloats()[0], 2e-3f);
    assertEquals(0.5f, bf.toFloats()[0] + 0.2f, 2e-3f);
  }

  @Test
  void nonTensorValuesAreKept() {
    TorchCheckpoint ckpt = TorchCheckpoint.read(CKPT);
    Map<?, ?> root = (Map<?, ?>) ckpt.root();
    assertEquals(3, ((Number) root.get("steps")).intValue());
    Map<?, ?> args = (Map<?, ?>) root.get("args");
    assertEquals("SiT-XS/2", args.get("model"));
    assertEquals(1e-4, ((Number) args.get("lr")).doubleValue(), 0);
  }

  @Test
  void bareStateDictIsReadAtTheTopLevel() throws IOException {
    Map<String, HostTensor> sd = TorchCheckpoint.read(Fixtures.path("torch/bare.pt")).stateDict();
    JsonNode want = expected().get("model");
    assertEquals(want.size(), sd.size());
    sd.forEach((name, t) -> assertMatches(want.get(name), t, name));
  }

  @Test
  void missingKeyNamesTheFileAndTheKeys() {
    InvalidInputException e = assertThrows(InvalidInputException.class,
        () -> TorchCheckpoint.read(CKPT).stateDict("optimizer"));
    assertTrue(e.getMessage().contains("ckpt.pt"), e.getMessage());
    assertTrue(e.getMessage().contains("'optimizer'") && e.getMessage().contains("ema"),
        e.getMessage());
  }

  @Test
  void nonTensorInAStateDictIsNamed() {
    InvalidInputException e = assertThrows(InvalidInputException.class,
        () -> TorchCheckpoint.read(CKPT).stateDict("args"));
    assertTrue(e.getMessage().contains("args[") && e.getMessage().contains("not a tensor"),
        e.getMessage());
  }

  @Test
  void unknownStorageTypeIsRejectedWithItsName() {
    InvalidInputException e = assertThrows(InvalidInputException.class,
        () -> TorchCheckpoint.read(Fixtures.path("torch/unknown.pt")));
    assertTrue(e.getMessage().contains("unknown.pt"), e.getMessage());
    assertTrue(e.getMessage().contains("ComplexFloatStorage"), e.getMessage());
  }

  @Test
  void fileThatIsNotAZipIsRejectedWithItsName(@TempDir Path dir) throws IOException {
    Path f = dir.resolve("legacy.pt");
    Files.write(f, new byte[] {(byte) 0x80, 2, 'x', 'y'});
    InvalidInputException e = assertThrows(InvalidInputException.class,
        () -> TorchCheckpoint.read(f));
    assertTrue(e.getMessage().contains("legacy.pt") && e.getMessage().contains("not a torch"),
        e.getMessage());
  }

  @Test
  void objectsOfUnknownClassesAreKeptOpaque() {
    TorchCheckpoint ckpt = TorchCheckpoint.read(Fixtures.path("torch/extras.pt"));
    assertEquals(List.of("model", "args", "np", "arr"), ckpt.keys());
    assertArrayEquals(new float[] {0, 1, 2}, ckpt.stateDict("model").get("w").toFloats());
    Map<?, ?> args = (Map<?, ?>) ((Map<?, ?>) ckpt.root()).get("args"); // argparse.Namespace
    assertEquals("argparse.Namespace", args.get("__class__"));
    assertEquals("SiT-XL/2", args.get("model"));
    assertEquals(80, ((Number) args.get("epochs")).intValue());
  }

  @Test
  void oneStateDictCanBeReadWithoutTheRest() throws IOException {
    JsonNode want = expected().get("ema");
    Map<String, HostTensor> ema = TorchCheckpoint.readStateDict(CKPT, "ema");
    assertEquals(want.size(), ema.size());
    ema.forEach((name, t) -> assertMatches(want.get(name), t, "ema." + name));
  }

  @Test
  void readingAMissingStateDictNamesTheKeys() {
    InvalidInputException e = assertThrows(InvalidInputException.class,
        () -> TorchCheckpoint.readStateDict(CKPT, "opt"));
    assertTrue(e.getMessage().contains("ckpt.pt: no key 'opt'")
        && e.getMessage().contains("steps"), e.getMessage());
  }

  @Test
  void storagesOfOtherEntriesAreNeverRead(@TempDir Path dir) throws IOException {
    // storage 3 holds model.bf only; without it the whole checkpoint is unreadable, "ema" is not
    Path pruned = dir.resolve("pruned.pt");
    try (java.util.zip.ZipFile in = new java.util.zip.ZipFile(CKPT.toFile());
        java.util.zip.ZipOutputStream out =
            new java.util.zip.ZipOutputStream(Files.newOutputStream(pruned))) {
      for (java.util.zip.ZipEntry e : java.util.Collections.list(in.entries())) {
        if (!e.getName().equals("ckpt/data/3")) {
          out.putNextEntry(new java.util.zip.ZipEntry(e.getName()));
          out.write(in.getInputStream(e).readAllBytes());
          out.closeEntry();
        }
      }
    }
    InvalidInputException e = assertThrows(InvalidInputException.class,
        () -> TorchCheckpoint.read(pruned));
    assertTrue(e.getMessage().contains("storage 3 is missing"), e.getMessage());
    assertEquals(3, TorchCheckpoint.readStateDict(pruned, "ema").size());
  }
}
