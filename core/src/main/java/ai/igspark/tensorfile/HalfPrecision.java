package ai.igspark.tensorfile;

/**
 * IEEE half (F16) and bfloat16 (BF16) conversions. Java 17 has no {@code Float.float16ToFloat}
 * (it arrived in Java 20), so these are written out; both narrowing conversions round to nearest,
 * ties to even, as numpy and PyTorch do.
 */
public final class HalfPrecision {
  private HalfPrecision() {}

  /** bfloat16 is the upper half of a float32: widening is a shift. */
  public static float bf16ToFloat(short bits) {
    return Float.intBitsToFloat((bits & 0xffff) << 16);
  }

  public static short floatToBf16(float value) {
    int bits = Float.floatToRawIntBits(value);
    if (Float.isNaN(value)) {
      return (short) ((bits >>> 16) | 0x0040); // keep it a (quiet) NaN after truncation
    }
    int roundingBias = 0x7fff + ((bits >>> 16) & 1);
    return (short) ((bits + roundingBias) >>> 16);
  }

  public static float f16ToFloat(short half) {
    int h = half & 0xffff;
    int sign = (h & 0x8000) << 16;
    int exponent = (h >>> 10) & 0x1f;
    int mantissa = h & 0x3ff;
    if (exponent == 0x1f) { // inf or NaN
      return Float.intBitsToFloat(sign | 0x7f800000 | (mantissa << 13));
    }
    if (exponent == 0) {
      if (mantissa == 0) {
        return Float.intBitsToFloat(sign);
      }
      // subnormal: value = mantissa * 2^-24
      float v = mantissa * 0x1p-24f;
      return sign == 0 ? v : -v;
    }
    return Float.intBitsToFloat(sign | ((exponent + 112) << 23) | (mantissa << 13));
  }

  public static short floatToF16(float value) {
    int bits = Float.floatToRawIntBits(value);
    int sign = (bits >>> 16) & 0x8000;
    int exponent = (bits >>> 23) & 0xff;
    int mantissa = bits & 0x7fffff;
    if (exponent == 0xff) { // inf or NaN
      return (short) (sign | 0x7c00 | (mantissa != 0 ? 0x200 | (mantissa >>> 13) : 0));
    }
    int e = exponent - 127 + 15;
    if (e >= 0x1f) {
      return (short) (sign | 0x7c00); // overflow to infinity
    }
    if (e <= 0) {
      if (e < -10) {
        return (short) sign; // underflows to zero even after rounding
      }
      // subnormal half: shift the full significand (with its implicit 1) into place
      int significand = mantissa | 0x800000;
      int shift = 14 - e;
      int halfMantissa = significand >>> shift;
      int remainder = significand & ((1 << shift) - 1);
      int halfway = 1 << (shift - 1);
      if (remainder > halfway || (remainder == halfway && (halfMantissa & 1) != 0)) {
        halfMantissa++;
      }
      return (short) (sign | halfMantissa);
    }
    int halfBits = (e << 10) | (mantissa >>> 13);
    int remainder = mantissa & 0x1fff;
    if (remainder > 0x1000 || (remainder == 0x1000 && (halfBits & 1) != 0)) {
      halfBits++; // may carry into the exponent, which is the correct rounding (up to inf)
    }
    return (short) (sign | halfBits);
  }
}
