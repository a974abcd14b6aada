package ai.igspark.model;

import static ai.igspark.model.IgDiTParityTest.assertClose;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.igspark.data.InvalidInputException;
import ai.igspark.diffusion.Velocities;
import ai.igspark.tensorfile.HostTensor;
import ai.igspark.tensorfile.SafetensorsFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ModelCheckpointsTest {
  @TempDir Path dir;

  /** checkpoint.pt holds {model: other weights, ema: the parity weights}: ema must win. */
  @ParameterizedTest
  @ValueSource(strings = {"sit-tiny", "lightningdit-tiny"})
  void torchCheckpointLoadsItsEmaWeights(String name) {
    ParityFixture f = ParityFixture.named(name);
    try (NDManager m = NDManager.newBaseManager();
        IgDiT model = IgDiT.create(f.config(), m, 0)) {
      ModelCheckpoints.loadInto(model, f.dir().resolve("checkpoint.pt"));
      Velocities out = model.forward(f.floats(m, "x"), f.floats(m, "t"), f.longs(m, "y"));
      assertClose(f.floats(m, "v_final"), out.vFinal(), name + " v_final");
      assertClose(f.floats(m, "v_intermediate"), out.vIntermediate(), name + " v_intermediate");
    }
  }

  @Test
  void safetensorsExportRoundTripsWithOfficialNamesAndTheConfig() throws Exception {
    ParityFixture f = ParityFixture.named("lightningdit-tiny");
    Path file = dir.resolve("ema.safetensors");
    try (NDManager m = NDManager.newBaseManager();
        IgDiT model = IgDiT.create(f.config(), m, 0);
        IgDiT reloaded = IgDiT.create(f.config(), m, 5)) {
      model.loadStateDict(f.state(), "fixture");
      ModelCheckpoints.exportSafetensors(model, file);
      try (SafetensorsFile st = SafetensorsFile.open(file)) {
        assertEquals(new ArrayList<>(f.state().keySet()), st.names());
        assertEquals("pt", st.metadata().get("format"));
      }
      assertEquals(f.config(), ModelCheckpoints.embeddedConfig(file).orElseThrow());
      ModelCheckpoints.loadInto(reloaded, file);
      NDArray x = f.floats(m, "x");
      assertClose(
          model.forward(x, f.floats(m, "t"), f.longs(m, "y")).vFinal(),
          reloaded.forward(x, f.floats(m, "t"), f.longs(m, "y")).vFinal(),
          "reloaded");
    }
  }

  @Test
  void checkpointForAnotherShapeNamesTheFileAndTheMismatches() {
    ParityFixture f = ParityFixture.named("sit-tiny");
    try (NDManager m = NDManager.newBaseManager();
        IgDiT model = IgDiT.create(Presets.get("sit-tiny").withIgDepth(0), m, 0)) {
      Path ckpt = f.dir().resolve("checkpoint.pt");
      var e =
          assertThrows(InvalidInputException.class, () -> ModelCheckpoints.loadInto(model, ckpt));
      assertTrue(e.getMessage().contains(ckpt.toString()), e.getMessage());
      assertTrue(e.getMessage().contains("unexpected keys: final_layer_xr."), e.getMessage());
    }
  }

  @Test
  void ddpAndTorchCompilePrefixesAreDropped() {
    HostTensor w = HostTensor.ofFloats(new long[] {1}, new float[] {1});
    Map<String, HostTensor> named = new java.util.LinkedHashMap<>();
    named.put("module.blocks.0._orig_mod.attn.qkv.weight", w);
    named.put("_orig_mod.final_layer.linear.bias", w);
    named.put("pos_embed", w);
    assertEquals(
        java.util.List.of("blocks.0.attn.qkv.weight", "final_layer.linear.bias", "pos_embed"),
        new ArrayList<>(ModelCheckpoints.officialNames(named).keySet()));
  }

  @Test
  void aFileOfAnotherKindIsRejectedByName() throws Exception {
    Path bogus = dir.resolve("weights.bin");
    Files.writeString(bogus, "not weights");
    var e = assertThrows(InvalidInputException.class, () -> ModelCheckpoints.load(bogus));
    assertTrue(e.getMessage().contains("weights.bin"), e.getMessage());
    assertTrue(e.getMessage().contains(".safetensors"), e.getMessage());
  }

  @Test
  void missingFileIsNamed() {
    Path none = dir.resolve("none.pt");
    var e = assertThrows(InvalidInputException.class, () -> ModelCheckpoints.load(none));
    assertTrue(e.getMessage().contains("none.pt: no such file"), e.getMessage());
  }

  /** The metadata exactly as exports before the enums were shared wrote it: still read alike. */
  @Test
  void aConfigEmbeddedByAnEarlierExportStillLoads() throws Exception {
    Map<String, String> written =
        Map.of(
            "sit-tiny",
            "{\"family\":\"sit\",\"input_size\":8,\"in_channels\":4,\"patch_size\":2,"
                + "\"hidden_size\":32,\"depth\":3,\"num_heads\":2,\"mlp_ratio\":4.0,"
                + "\"num_classes\":10,\"ig_depth\":1,\"time_convention\":\"sit\"}",
            "lightningdit-tiny",
            "{\"family\":\"lightningdit\",\"input_size\":4,\"in_channels\":8,\"patch_size\":1,"
                + "\"hidden_size\":32,\"depth\":3,\"num_heads\":2,\"mlp_ratio\":4.0,"
                + "\"num_classes\":10,\"ig_depth\":1,\"time_convention\":\"lightningdit\","
                + "\"qk_norm\":false,\"swiglu_hidden_size\":85,\"rope\":true}");
    for (Map.Entry<String, String> e : written.entrySet()) {
      Path file = dir.resolve(e.getKey() + ".safetensors");
      Map<String, HostTensor> one =
          Map.of("w", HostTensor.ofFloats(new long[] {1}, new float[] {1}));
      try (var out = Files.newOutputStream(file)) {
        new ai.igspark.tensorfile.SafetensorsWriter()
            .metadata(Map.of(ModelCheckpoints.CONFIG_METADATA_KEY, e.getValue()))
            .addAll(one)
            .write(out);
      }
      ModelConfig read = ModelCheckpoints.embeddedConfig(file).orElseThrow();
      assertEquals(Presets.get(e.getKey()), read, e.getKey());
      assertEquals(
          new com.fasterxml.jackson.databind.ObjectMapper().readTree(e.getValue()),
          new com.fasterxml.jackson.databind.ObjectMapper().valueToTree(read.toMap()),
          e.getKey() + " is written back as it was");
    }
  }

  @Test
  void exportWithoutConfigMetadataHasNoEmbeddedConfig() throws Exception {
    Path file = dir.resolve("plain.safetensors");
    Map<String, HostTensor> one = Map.of("w", HostTensor.ofFloats(new long[] {1}, new float[] {1}));
    try (var out = Files.newOutputStream(file)) {
      new ai.igspark.tensorfile.SafetensorsWriter().addAll(one).write(out);
    }
    assertFalse(ModelCheckpoints.embeddedConfig(file).isPresent());
  }
}
