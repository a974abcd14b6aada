package ai.igspark.tensorfile;

import java.util.Arrays;
import java.util.Optional;

/**
 * Element types of stored tensors, with their safetensors names and numpy descriptors.
 *
 * <p>BF16 exists only on disk and on the wire: DJL aborts the JVM on a bf16 tensor on CPU, so
 * readers widen it to F32 before anything reaches DJL.
 */
public enum DType {
  F64("F64", "<f8", 8),
  F32("F32", "<f4", 4),
  F16("F16", "<f2", 2),
  BF16("BF16", null, 2),
  I64("I64", "<i8", 8),
  I32("I32", "<i4", 4),
  I16("I16", "<i2", 2),
  I8("I8", "|i1", 1),
  U8("U8", "|u1", 1),
  BOOL("BOOL", "|b1", 1);

  private final String safetensorsName;
  private final String numpyDescr;
  private final int byteSize;

  DType(String safetensorsName, String numpyDescr, int byteSize) {
    this.safetensorsName = safetensorsName;
    this.numpyDescr = numpyDescr;
    this.byteSize = byteSize;
  }

  public String safetensorsName() {
    return safetensorsName;
  }

  /** The numpy descriptor ({@code <f4}, {@code |u1}, ...); empty for BF16, which numpy lacks. */
  public Optional<String> numpyDescr() {
    return Optional.ofNullable(numpyDescr);
  }

  public int byteSize() {
    return byteSize;
  }

  public boolean isFloatingPoint() {
    return this == F64 || this == F32 || this == F16 || this == BF16;
  }

  public static Optional<DType> fromSafetensorsName(String name) {
    return Arrays.stream(values()).filter(d -> d.safetensorsName.equals(name)).findFirst();
  }

  /**
   * Numpy descriptors; {@code <u1}/{@code <i1}/{@code |b1} spellings and the native-order {@code =}
   * prefix are accepted on little-endian data.
   */
  public static Optional<DType> fromNumpyDescr(String descr) {
    String d = descr.length() == 3 && (descr.charAt(0) == '=' || descr.charAt(0) == '|'
        || (descr.charAt(0) == '<'))
        ? descr.substring(1)
        : descr;
    return Arrays.stream(values())
        .filter(t -> t.numpyDescr != null && t.numpyDescr.substring(1).equals(d))
        .findFirst();
  }
}
