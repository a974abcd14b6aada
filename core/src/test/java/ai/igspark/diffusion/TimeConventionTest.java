package ai.igspark.diffusion;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.igspark.data.config.TypedConfig;
import org.junit.jupiter.api.Test;

class TimeConventionTest {

  @Test
  void lightningDitNetSeesOneMinusTAndItsVelocitiesAreNegated() {
    try (NDManager m = NDManager.newBaseManager()) {
      float[] seen = new float[2];
      VelocityNet ld =
          (x, t, y) -> {
            System.arraycopy(t.toFloatArray(), 0, seen, 0, 2);
            return new Velocities(x.add(1f), x.add(2f));
          };
      NDArray x = m.zeros(new Shape(2, 1, 1, 1));
      Velocities v =
          TimeConvention.LIGHTNINGDIT
              .toSitTime(ld)
              .predict(x, m.create(new float[] {0.25f, 1f}), m.create(new long[] {0, 1}));
      assertArrayEquals(new float[] {0.75f, 0f}, seen, 0f);
      assertArrayEquals(new float[] {-1f, -1f}, v.vFinal().toFloatArray(), 0f);
      assertArrayEquals(new float[] {-2f, -2f}, v.vIntermediate().toFloatArray(), 0f);
    }
  }

  @Test
  void sitNetIsUsedAsIs() {
    VelocityNet net = (x, t, y) -> null;
    assertSame(net, TimeConvention.SIT.toSitTime(net));
    assertEquals(0.3f, TimeConvention.LIGHTNINGDIT.fromSitTime(0.7f), 1e-7f);
  }

  @Test
  void configSpellingsAreTheLowerCaseNamesAndReadInAnyCase() throws Exception {
    var mapper = TypedConfig.mapper();
    assertEquals("lightningdit", mapper.valueToTree(TimeConvention.LIGHTNINGDIT).asText());
    assertEquals("lognormal", mapper.valueToTree(TimeSampling.LOGNORMAL).asText());
    assertEquals(TimeConvention.SIT, mapper.readValue("sit", TimeConvention.class));
    assertEquals(
        TimeConvention.LIGHTNINGDIT, mapper.readValue("LightningDiT", TimeConvention.class));
    assertEquals(TimeSampling.UNIFORM, mapper.readValue("uniform", TimeSampling.class));
    assertEquals(TimeSampling.LOGNORMAL, mapper.readValue("LOGNORMAL", TimeSampling.class));
  }
}
