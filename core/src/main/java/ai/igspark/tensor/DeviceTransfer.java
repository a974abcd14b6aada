package ai.igspark.tensor;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The one place where float32 data crosses between host memory and NDArrays, with an explicit
 * upload and download.
 *
 * <p>Why one place: on CPU, {@code NDArray.toByteBuffer(true)} of a contiguous tensor is a view
 * of the tensor's own memory, but on CUDA DJL first copies the tensor to the host and returns a
 * view of that temporary copy, so a write into it is silently lost (docs/PLATFORM.md §1). Code
 * outside this class never writes through such a view; here the zero-copy path is taken only
 * after {@link #sharesHostMemory} said yes.
 *
 * <p>Device emulation ({@link #setEmulated}, or {@code -Digspark.emulate_device=true}): CPU
 * arrays are treated as if they lived on a device, so every transfer takes the path a CUDA
 * executor takes (stage, copy, never a shared view). Tests run the training paths both ways and
 * require the same bytes.
 *
 * <p>Every array returned is owned by libtorch (never a Java buffer the tensor borrows, whose
 * native memory would only be returned after a Java GC) and attached to the given manager.
 */
public final class DeviceTransfer {
  /** System property that switches device emulation on for the JVM. */
  public static final String EMULATE_PROPERTY = "igspark.emulate_device";

  private static volatile boolean emulated = Boolean.getBoolean(EMULATE_PROPERTY);
  private static final AtomicLong UPLOADS = new AtomicLong();
  private static final AtomicLong DOWNLOADS = new AtomicLong();
  private static final AtomicLong UPLOADED_BYTES = new AtomicLong();
  private static final AtomicLong DOWNLOADED_BYTES = new AtomicLong();
  /** Per-thread staging for uploads of Java arrays; grows to the largest upload, then reused. */
  private static final ThreadLocal<ByteBuffer> STAGING = new ThreadLocal<>();

  private DeviceTransfer() {}

  /** Whether CPU arrays are treated as device arrays (tests). */
  public static boolean emulated() {
    return emulated;
  }

  /** Switches device emulation on or off for this JVM; returns the previous setting. */
  public static boolean setEmulated(boolean on) {
    boolean was = emulated;
    emulated = on;
    return was;
  }

  /**
   * True when {@code toByteBuffer(true)} of {@code a} is {@code a}'s own memory: a CPU array and
   * no emulation. Only arrays this process created contiguously may be written that way.
   */
  public static boolean sharesHostMemory(NDArray a) {
    return !emulated && a.getDevice().getDeviceType().equals(Device.Type.CPU);
  }

  /** The same for arrays that {@code manager} creates. */
  public static boolean sharesHostMemory(NDManager manager) {
    return !emulated && manager.getDevice().getDeviceType().equals(Device.Type.CPU);
  }

  /** A new float32 array of {@code shape} on {@code manager}'s device holding {@code values}. */
  public static NDArray upload(NDManager manager, float[] values, Shape shape) {
    return upload(manager, FloatBuffer.wrap(values), shape);
  }

  /**
   * A new float32 array of {@code shape} on {@code manager}'s device holding the next {@code
   * shape.size()} floats of {@code host}, whose position advances. One host→device copy; {@code
   * host} may be reused as soon as this returns.
   */
  public static NDArray upload(NDManager manager, FloatBuffer host, Shape shape) {
    int n = Math.toIntExact(shape.size());
    if (host.remaining() < n) {
      throw new IllegalArgumentException(
          "upload of " + shape + " needs " + n + " floats, the buffer has " + host.remaining());
    }
    NDArray a = manager.create(shape, DataType.FLOAT32); // torch.empty: libtorch-owned memory
    FloatBuffer src = host.slice().limit(n);
    if (sharesHostMemory(a)) {
      a.toByteBuffer(true).order(ByteOrder.nativeOrder()).asFloatBuffer().put(src);
    } else {
      ByteBuffer staged = staging(n);
      staged.asFloatBuffer().put(src);
      copyFromHost(staged, a);
    }
    host.position(host.position() + n);
    count(UPLOADS, UPLOADED_BYTES, 4L * n);
    return a;
  }

  /**
   * Overwrites {@code dst} (float32, any device) with the next {@code dst.size()} floats of
   * {@code host}, whose position advances. Always an in-place copy into {@code dst}'s storage, so
   * it is correct for non-contiguous arrays and for gradients alike.
   */
  public static void writeInto(NDArray dst, FloatBuffer host) {
    requireFloat32(dst);
    int n = Math.toIntExact(dst.getShape().size());
    if (host.remaining() < n) {
      throw new IllegalArgumentException(
          "write of " + dst.getShape() + " needs " + n + " floats, the buffer has "
              + host.remaining());
    }
    ByteBuffer staged = staging(n);
    staged.asFloatBuffer().put(host.slice().limit(n));
    copyFromHost(staged, dst);
    host.position(host.position() + n);
    count(UPLOADS, UPLOADED_BYTES, 4L * n);
  }

  /**
   * Overwrites {@code dst} with the first {@code dst.size()} floats of a direct native-order
   * buffer, without staging it again (the gradient buckets' host→device copy).
   */
  public static void writeInto(NDArray dst, ByteBuffer directHost) {
    requireFloat32(dst);
    if (!directHost.isDirect()) {
      throw new IllegalArgumentException("writeInto(ByteBuffer) needs a direct buffer");
    }
    copyFromHost(directHost.duplicate().order(ByteOrder.nativeOrder()), dst);
    count(UPLOADS, UPLOADED_BYTES, 4L * dst.getShape().size());
  }

  /**
   * Copies {@code a}'s elements (float32, row-major) into {@code dst} at its position, advancing
   * it: one device→host copy. The temporary host copy a device array needs is closed here, with
   * the sub-manager DJL makes for it, so nothing accumulates in {@code a}'s manager.
   */
  public static void download(NDArray a, FloatBuffer dst) {
    requireFloat32(a);
    withHostBytes(a, host -> dst.put(host.asFloatBuffer()));
    count(DOWNLOADS, DOWNLOADED_BYTES, 4L * a.getShape().size());
  }

  /** A float64 array's elements in a new Java array: one device→host copy. */
  public static double[] downloadDoubles(NDArray a) {
    if (a.getDataType() != DataType.FLOAT64) {
      throw new IllegalArgumentException("expected a float64 array, got " + a.getDataType());
    }
    double[] out = new double[Math.toIntExact(a.getShape().size())];
    withHostBytes(a, host -> host.asDoubleBuffer().get(out));
    count(DOWNLOADS, DOWNLOADED_BYTES, 8L * out.length);
    return out;
  }

  /** Hands {@code a}'s bytes in host memory (native order) to {@code reader}, read-only use. */
  private static void withHostBytes(NDArray a, java.util.function.Consumer<ByteBuffer> reader) {
    if (sharesHostMemory(a)) {
      reader.accept(a.toByteBuffer(true).order(ByteOrder.nativeOrder()));
      return;
    }
    NDArray host = a.toDevice(Device.cpu(), true);
    NDManager made = host.getManager();
    try {
      reader.accept(host.toByteBuffer(true).order(ByteOrder.nativeOrder()));
    } finally {
      host.close();
      if (made != a.getManager()) {
        made.close();
      }
    }
  }

  /** {@link #download} into a new Java array. */
  public static float[] download(NDArray a) {
    float[] out = new float[Math.toIntExact(a.getShape().size())];
    download(a, FloatBuffer.wrap(out));
    return out;
  }

  /** Transfers counted since the JVM started (instrumentation for host syncs per step). */
  public static Counts counts() {
    return new Counts(UPLOADS.get(), DOWNLOADS.get(), UPLOADED_BYTES.get(),
        DOWNLOADED_BYTES.get());
  }

  /** Numbers of uploads and downloads and their bytes. */
  public record Counts(long uploads, long downloads, long uploadedBytes, long downloadedBytes) {
    public Counts minus(Counts earlier) {
      return new Counts(uploads - earlier.uploads, downloads - earlier.downloads,
          uploadedBytes - earlier.uploadedBytes, downloadedBytes - earlier.downloadedBytes);
    }
  }

  /**
   * Copies host bytes into {@code dst}'s storage in place (libtorch {@code copy_}): the host side
   * is a CPU tensor that borrows {@code host} only until this returns.
   */
  private static void copyFromHost(ByteBuffer host, NDArray dst) {
    Shape shape = dst.getShape();
    int bytes = Math.toIntExact(4 * shape.size());
    ByteBuffer window = host.duplicate().order(ByteOrder.nativeOrder());
    window.limit(window.position() + bytes);
    try (NDManager scratch = NDManager.newBaseManager(Device.cpu())) {
      NDArray src = scratch.create(window.slice().order(ByteOrder.nativeOrder()), shape,
          DataType.FLOAT32);
      if (shape.dimension() == 0) {
        dst.reshape(1).set(new NDIndex(":"), src.reshape(1));
      } else {
        dst.set(new NDIndex(":"), src);
      }
    }
  }

  private static ByteBuffer staging(int floats) {
    ByteBuffer b = STAGING.get();
    if (b == null || b.capacity() < 4L * floats) {
      b = ByteBuffer.allocateDirect(Math.multiplyExact(floats, 4)).order(ByteOrder.nativeOrder());
      STAGING.set(b);
    }
    b.clear();
    return b;
  }

  private static void requireFloat32(NDArray a) {
    if (a.getDataType() != DataType.FLOAT32) {
      throw new IllegalArgumentException("expected a float32 array, got " + a.getDataType());
    }
  }

  private static void count(AtomicLong transfers, AtomicLong bytes, long n) {
    transfers.incrementAndGet();
    bytes.addAndGet(n);
  }
}
