package ai.igspark.tensorfile;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * A tensor held on the Java heap or in a mapped file, as it is stored: element type, shape and
 * little-endian bytes in C order. It is the currency between file formats (safetensors, npy, torch
 * checkpoints) and DJL; conversions widen F16/BF16 so DJL never sees bf16.
 *
 * @param dtype element type of {@code data}
 * @param shape dimensions, outermost first; empty for a scalar
 * @param data exactly {@code numel() * dtype.byteSize()} bytes from position 0, little-endian
 */
public record HostTensor(DType dtype, long[] shape, ByteBuffer data) {

  public HostTensor {
    shape = shape.clone();
    data = data.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    long expected = numel(shape) * dtype.byteSize();
    if (data.remaining() != expected) {
      throw new IllegalArgumentException(
          "tensor " + dtype + Arrays.toString(shape) + " needs " + expected + " bytes, got "
              + data.remaining());
    }
  }

  public static long numel(long[] shape) {
    long n = 1;
    for (long d : shape) {
      n = Math.multiplyExact(n, d);
    }
    return n;
  }

  public long numel() {
    return numel(shape);
  }

  @Override
  public long[] shape() {
    return shape.clone();
  }

  /** Shape as ints, for DJL's {@code Shape} and for arrays; fails on dimensions over 2^31. */
  public int[] intShape() {
    int[] s = new int[shape.length];
    for (int i = 0; i < s.length; i++) {
      s[i] = Math.toIntExact(shape[i]);
    }
    return s;
  }

  /** A read-only little-endian view of the bytes, positioned at 0. */
  @Override
  public ByteBuffer data() {
    return data.asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN);
  }

  /** Values as float32; F16 and BF16 are widened exactly, F64 and integers are converted. */
  public float[] toFloats() {
    int n = Math.toIntExact(numel());
    float[] out = new float[n];
    ByteBuffer b = data();
    switch (dtype) {
      case F32 -> b.asFloatBuffer().get(out);
      case F64 -> {
        for (int i = 0; i < n; i++) {
          out[i] = (float) b.getDouble(i * 8);
        }
      }
      case F16 -> {
        for (int i = 0; i < n; i++) {
          out[i] = HalfPrecision.f16ToFloat(b.getShort(i * 2));
        }
      }
      case BF16 -> {
        for (int i = 0; i < n; i++) {
          out[i] = HalfPrecision.bf16ToFloat(b.getShort(i * 2));
        }
      }
      default -> {
        long[] ints = toLongs();
        for (int i = 0; i < n; i++) {
          out[i] = ints[i];
        }
      }
    }
    return out;
  }

  /** Values as float64 (exact for every floating type). */
  public double[] toDoubles() {
    int n = Math.toIntExact(numel());
    if (dtype == DType.F64) {
      double[] out = new double[n];
      data().asDoubleBuffer().get(out);
      return out;
    }
    float[] f = toFloats();
    double[] out = new double[n];
    for (int i = 0; i < n; i++) {
      out[i] = f[i];
    }
    return out;
  }

  /** Integer (and bool) values as int64; floating types are rejected rather than truncated. */
  public long[] toLongs() {
    int n = Math.toIntExact(numel());
    long[] out = new long[n];
    ByteBuffer b = data();
    switch (dtype) {
      case I64 -> b.asLongBuffer().get(out);
      case I32 -> {
        for (int i = 0; i < n; i++) {
          out[i] = b.getInt(i * 4);
        }
      }
      case I16 -> {
        for (int i = 0; i < n; i++) {
          out[i] = b.getShort(i * 2);
        }
      }
      case I8 -> {
        for (int i = 0; i < n; i++) {
          out[i] = b.get(i);
        }
      }
      case U8, BOOL -> {
        for (int i = 0; i < n; i++) {
          out[i] = b.get(i) & 0xff;
        }
      }
      default -> throw new IllegalStateException(dtype + " tensor is not an integer tensor");
    }
    return out;
  }

  public static HostTensor ofFloats(long[] shape, float[] values) {
    ByteBuffer b = allocate(values.length, DType.F32);
    b.asFloatBuffer().put(values);
    return new HostTensor(DType.F32, shape, b);
  }

  public static HostTensor ofDoubles(long[] shape, double[] values) {
    ByteBuffer b = allocate(values.length, DType.F64);
    b.asDoubleBuffer().put(values);
    return new HostTensor(DType.F64, shape, b);
  }

  public static HostTensor ofLongs(long[] shape, long[] values) {
    ByteBuffer b = allocate(values.length, DType.I64);
    b.asLongBuffer().put(values);
    return new HostTensor(DType.I64, shape, b);
  }

  public static HostTensor ofInts(long[] shape, int[] values) {
    ByteBuffer b = allocate(values.length, DType.I32);
    b.asIntBuffer().put(values);
    return new HostTensor(DType.I32, shape, b);
  }

  public static HostTensor ofUnsignedBytes(long[] shape, byte[] values) {
    return new HostTensor(DType.U8, shape, ByteBuffer.wrap(values.clone()));
  }

  /** Narrows float32 values to F16 or BF16 storage (round to nearest even). */
  public static HostTensor ofFloatsAs(DType storage, long[] shape, float[] values) {
    switch (storage) {
      case F32:
        return ofFloats(shape, values);
      case F16:
      case BF16:
        ByteBuffer b = allocate(values.length, storage);
        for (int i = 0; i < values.length; i++) {
          b.putShort(
              i * 2,
              storage == DType.F16
                  ? HalfPrecision.floatToF16(values[i])
                  : HalfPrecision.floatToBf16(values[i]));
        }
        return new HostTensor(storage, shape, b);
      case F64:
        double[] d = new double[values.length];
        for (int i = 0; i < d.length; i++) {
          d[i] = values[i];
        }
        return ofDoubles(shape, d);
      default:
        throw new IllegalArgumentException("cannot store floats as " + storage);
    }
  }

  private static ByteBuffer allocate(int count, DType dtype) {
    return ByteBuffer.allocate(Math.multiplyExact(count, dtype.byteSize()))
        .order(ByteOrder.LITTLE_ENDIAN);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof HostTensor t
        && t.dtype == dtype
        && Arrays.equals(t.shape, shape)
        && t.data().equals(data());
  }

  @Override
  public int hashCode() {
    return 31 * dtype.hashCode() + Arrays.hashCode(shape);
  }

  @Override
  public String toString() {
    return dtype + Arrays.toString(shape);
  }
}
