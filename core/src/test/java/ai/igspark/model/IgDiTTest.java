package ai.igspark.model;

import static ai.igspark.model.IgDiTParityTest.assertClose;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import ai.igspark.data.InvalidInputException;
import ai.igspark.diffusion.Velocities;
import ai.igspark.tensorfile.HostTensor;
import ai.igspark.tensorfile.Npz;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class IgDiTTest {

  private static NDArray[] inputs(NDManager m, ModelConfig cfg, int n) {
    NDArray x = m.randomNormal(new Shape(n, cfg.inChannels(), cfg.inputSize(), cfg.inputSize()));
    NDArray t = m.randomUniform(0f, 1f, new Shape(n));
    NDArray y = m.create(new long[] {0, cfg.nullClass()}).get("0:" + n);
    return new NDArray[] {x, t, y};
  }

  @Test
  void sameSeedGivesTheSameWeightsAndAnotherSeedDoesNot() {
    ModelConfig cfg = Presets.get("lightningdit-tiny");
    try (NDManager m = NDManager.newBaseManager();
        IgDiT a = IgDiT.create(cfg, m, 7);
        IgDiT b = IgDiT.create(cfg, m, 7);
        IgDiT c = IgDiT.create(cfg, m, 8)) {
      String key = "blocks.1.attn.qkv.weight";
      assertEquals(a.stateDict().get(key), b.stateDict().get(key));
      assertFalse(a.stateDict().get(key).contentEquals(c.stateDict().get(key)));
    }
  }

  @Test
  void freshSitOutputsZeroOnBothHeads() {
    ModelConfig cfg = Presets.get("sit-tiny");
    try (NDManager m = NDManager.newBaseManager();
        IgDiT model = IgDiT.create(cfg, m, 3)) {
      NDArray[] in = inputs(m, cfg, 2);
      Velocities out = model.forward(in[0], in[1], in[2]);
      assertEquals(0f, out.vFinal().abs().max().getFloat());
      assertEquals(0f, out.vIntermediate().abs().max().getFloat());
    }
  }

  /**
   * LightningDiT zero-initialises only final_layer; final_layer_xr keeps Xavier
   * (docs/METHOD.md §2.2).
   */
  @Test
  void freshLightningDitHasAZeroFinalHeadAndALiveIgHead() {
    ModelConfig cfg = Presets.get("lightningdit-tiny");
    try (NDManager m = NDManager.newBaseManager();
        IgDiT model = IgDiT.create(cfg, m, 3)) {
      NDArray[] in = inputs(m, cfg, 2);
      Velocities out = model.forward(in[0], in[1], in[2]);
      assertEquals(0f, out.vFinal().abs().max().getFloat());
      assertTrue(out.vIntermediate().abs().max().getFloat() > 0f);
      assertEquals(new Shape(2, 8, 4, 4), out.vIntermediate().getShape());
    }
  }

  @Test
  void withoutAnIgHeadThereIsNoIntermediateOutputAndNoHeadState() {
    ModelConfig cfg = Presets.get("sit-tiny").withIgDepth(0);
    try (NDManager m = NDManager.newBaseManager();
        IgDiT model = IgDiT.create(cfg, m, 3)) {
      NDArray[] in = inputs(m, cfg, 2);
      Velocities out = model.forward(in[0], in[1], in[2]);
      assertNull(out.vIntermediate());
      assertEquals(new Shape(2, 4, 8, 8), out.vFinal().getShape());
      assertTrue(
          model.stateDict().keySet().stream().noneMatch(k -> k.startsWith("final_layer_xr")));
    }
  }

  @Test
  void posEmbedAndRopeTablesAreNotTrainable() {
    try (NDManager m = NDManager.newBaseManager();
        IgDiT model = IgDiT.create(Presets.get("lightningdit-tiny"), m, 0)) {
      assertFalse(model.trainableNames().contains("pos_embed"));
      assertFalse(model.trainableNames().contains("feat_rope.freqs_cos"));
      assertTrue(model.stateDict().containsKey("feat_rope.freqs_cos"));
      assertTrue(model.trainableNames().contains("final_layer_xr.norm_final.weight"));
    }
  }

  @Test
  void forwardLeavesOnlyItsTwoOutputsBehind() {
    ModelConfig cfg = Presets.get("lightningdit-tiny");
    try (NDManager m = NDManager.newBaseManager();
        IgDiT model = IgDiT.create(cfg, m, 0);
        NDManager step = m.newSubManager()) {
      NDArray[] in = inputs(step, cfg, 2);
      int modelArrays = model.manager().getManagedArrays().size();
      int callerArrays = step.getManagedArrays().size();
      Velocities out = model.forward(in[0], in[1], in[2]);
      assertEquals(modelArrays, model.manager().getManagedArrays().size());
      assertEquals(callerArrays + 2, step.getManagedArrays().size());
      assertTrue(step.getManagedArrays().contains(out.vFinal()));
    }
  }

  @Test
  void outputsBelongToTheCallersScopeWhenItUsesOne() {
    ModelConfig cfg = Presets.get("sit-tiny");
    try (NDManager m = NDManager.newBaseManager();
        IgDiT model = IgDiT.create(cfg, m, 0)) {
      NDArray[] in = inputs(m, cfg, 2);
      Velocities out;
      try (NDScope scope = new NDScope()) {
        out = model.forward(in[0], in[1], in[2]);
        assertFalse(out.vFinal().isReleased());
      }
      assertTrue(out.vFinal().isReleased());
      assertTrue(out.vIntermediate().isReleased());
      assertFalse(in[0].isReleased());
    }
  }

  /** Backward through both heads, after forward freed its intermediates, matches PyTorch. */
  @ParameterizedTest
  @ValueSource(strings = {"sit-tiny", "lightningdit-tiny"})
  void gradientsOfBothHeadsMatchThePyTorchReference(String name) {
    ParityFixture f = ParityFixture.named(name);
    Map<String, HostTensor> expected = Npz.readAll(f.dir().resolve("grads.npz"));
    try (NDManager m = NDManager.newBaseManager();
        IgDiT model = IgDiT.create(f.config(), m, 0)) {
      model.loadStateDict(f.state(), name);
      NDArray x = f.floats(m, "x");
      NDArray t = f.floats(m, "t");
      NDArray y = f.longs(m, "y");
      try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
        Velocities out = model.forward(x, t, y);
        NDArray loss =
            out.vFinal().square().mean().add(out.vIntermediate().square().mean().mul(0.5f));
        gc.backward(loss);
      }
      Map<String, NDArray> grads = model.flatParameters().gradientViews();
      for (Map.Entry<String, HostTensor> e : expected.entrySet()) {
        HostTensor h = e.getValue();
        NDArray want = m.create(h.toFloats(), new Shape(h.shape()));
        assertClose(want, grads.get(e.getKey()), "grad " + e.getKey());
      }
    }
  }

  @Test
  void loadingReplacesTheStateAndHostCopyRoundTrips() {
    ParityFixture f = ParityFixture.named("sit-tiny");
    try (NDManager m = NDManager.newBaseManager();
        IgDiT model = IgDiT.create(f.config(), m, 0);
        IgDiT copy = IgDiT.create(f.config(), m, 1)) {
      model.loadStateDict(f.state(), "fixture");
      copy.loadStateDict(model.hostStateDict(), "host copy");
      NDArray[] in = inputs(m, f.config(), 2);
      assertClose(model.forward(in[0], in[1], in[2]).vFinal(),
          copy.forward(in[0], in[1], in[2]).vFinal(), "copy");
      assertTrue(copy.stateDict().get("blocks.0.attn.qkv.weight").hasGradient());
      assertFalse(copy.stateDict().get("pos_embed").hasGradient());
    }
  }

  @Test
  void strictLoadListsMissingUnexpectedAndMisShapedKeysWithTheSource() {
    ParityFixture f = ParityFixture.named("sit-tiny");
    Map<String, HostTensor> state = new LinkedHashMap<>(f.state());
    state.remove("blocks.2.mlp.fc2.bias");
    state.put("blocks.0.attn.q_norm.weight", HostTensor.ofFloats(new long[] {16}, new float[16]));
    state.put("final_layer.linear.bias", HostTensor.ofFloats(new long[] {15}, new float[15]));
    try (NDManager m = NDManager.newBaseManager();
        IgDiT model = IgDiT.create(f.config(), m, 0)) {
      NDArray before = model.stateDict().get("blocks.0.attn.qkv.weight").duplicate();
      var e =
          assertThrows(
              InvalidInputException.class, () -> model.loadStateDict(state, "ckpt/ema.pt"));
      String msg = e.getMessage();
      assertTrue(msg.startsWith("ckpt/ema.pt"), msg);
      assertTrue(msg.contains("missing keys: blocks.2.mlp.fc2.bias [32]"), msg);
      assertTrue(msg.contains("unexpected keys: blocks.0.attn.q_norm.weight [16]"), msg);
      assertTrue(msg.contains("final_layer.linear.bias (expected [16], got [15])"), msg);
      assertEquals(before, model.stateDict().get("blocks.0.attn.qkv.weight"));
    }
  }

  @Test
  void sitDemoRunsAForwardPass() {
    ModelConfig cfg = Presets.get("sit-demo");
    try (NDManager m = NDManager.newBaseManager();
        IgDiT model = IgDiT.create(cfg, m, 0)) {
      NDArray[] in = inputs(m, cfg, 2);
      Velocities out = model.forward(in[0], in[1], in[2]);
      assertEquals(new Shape(2, 1, 32, 32), out.vFinal().getShape());
      assertNotNull(out.vIntermediate());
    }
  }

  @Test
  void wrongInputShapeIsAProgrammingError() {
    ModelConfig cfg = Presets.get("sit-tiny");
    try (NDManager m = NDManager.newBaseManager();
        IgDiT model = IgDiT.create(cfg, m, 0)) {
      NDArray[] in = inputs(m, cfg, 2);
      var e =
          assertThrows(
              IllegalArgumentException.class,
              () -> model.forward(in[0].get(":, 0:2"), in[1], in[2]));
      assertTrue(e.getMessage().contains("[N, 4, 8, 8]"), e.getMessage());
    }
  }
}
