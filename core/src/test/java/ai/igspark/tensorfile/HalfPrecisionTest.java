package ai.igspark.tensorfile;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.igspark.testsupport.Fixtures;
import org.junit.jupiter.api.Test;

class HalfPrecisionTest {

  @Test
  void everyFiniteHalfWidensAsNumpyDoes() {
    long[] bits = Npy.read(Fixtures.path("npy/f16_bits.npy")).toLongs();
    float[] expected = Npy.read(Fixtures.path("npy/f16_as_f32.npy")).toFloats();
    for (int i = 0; i < bits.length; i++) {
      assertEquals(
          Float.floatToIntBits(expected[i]),
          Float.floatToIntBits(HalfPrecision.f16ToFloat((short) bits[i])),
          "bits " + Long.toHexString(bits[i] & 0xffff));
    }
  }

  @Test
  void floatsNarrowToHalfWithNumpysRounding() {
    float[] probe = Npy.read(Fixtures.path("npy/f32_probe.npy")).toFloats();
    long[] expected = Npy.read(Fixtures.path("npy/f32_probe_as_f16_bits.npy")).toLongs();
    for (int i = 0; i < probe.length; i++) {
      assertEquals(
          (short) expected[i], HalfPrecision.floatToF16(probe[i]), "value " + probe[i]);
    }
  }

  @Test
  void bf16RoundsToNearestEvenAndWidensExactly() {
    // 1 + 2^-8 is halfway between two bf16 values: ties go to the even one (1.0)
    assertEquals(1.0f, HalfPrecision.bf16ToFloat(HalfPrecision.floatToBf16(1f + 0x1p-8f)));
    assertEquals(
        1f + 0x1p-6f, HalfPrecision.bf16ToFloat(HalfPrecision.floatToBf16(1f + 0x1p-6f + 0x1p-9f)));
    assertEquals(-3.5f, HalfPrecision.bf16ToFloat(HalfPrecision.floatToBf16(-3.5f)));
    assertEquals(
        Float.POSITIVE_INFINITY,
        HalfPrecision.bf16ToFloat(HalfPrecision.floatToBf16(Float.POSITIVE_INFINITY)));
    assertEquals(true, Float.isNaN(HalfPrecision.bf16ToFloat(HalfPrecision.floatToBf16(Float.NaN))));
  }
}
