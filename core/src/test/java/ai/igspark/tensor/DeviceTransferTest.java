package ai.igspark.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.Device;
import ai.djl.ndarray.BaseNDManager;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.lang.reflect.Field;
import java.nio.FloatBuffer;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Uploads and downloads give the same bytes with CPU and with emulated device semantics. */
class DeviceTransferTest {
  private boolean before = DeviceTransfer.emulated();

  @AfterEach
  void restore() {
    DeviceTransfer.setEmulated(before);
  }

  private static float[] values(int n) {
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = (float) Math.sin(i * 0.37) * 1e3f + i;
    }
    return v;
  }

  @ParameterizedTest(name = "emulated = {0}")
  @ValueSource(booleans = {false, true})
  void uploadThenDownloadGivesTheSameFloats(boolean emulated) {
    DeviceTransfer.setEmulated(emulated);
    float[] v = values(6 * 7);
    try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
      NDArray a = DeviceTransfer.upload(m, v, new Shape(6, 7));
      assertEquals(new Shape(6, 7), a.getShape());
      assertArrayEquals(v, DeviceTransfer.download(a));
    }
  }

  @ParameterizedTest(name = "emulated = {0}")
  @ValueSource(booleans = {false, true})
  void uploadAdvancesTheHostBufferAndLeavesItReusable(boolean emulated) {
    DeviceTransfer.setEmulated(emulated);
    float[] v = values(10);
    FloatBuffer host = FloatBuffer.wrap(v);
    try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
      NDArray first = DeviceTransfer.upload(m, host, new Shape(4));
      NDArray second = DeviceTransfer.upload(m, host, new Shape(6));
      assertEquals(10, host.position());
      java.util.Arrays.fill(v, -1f); // the arrays own their memory: the host side may change
      assertArrayEquals(values(10), concat(DeviceTransfer.download(first),
          DeviceTransfer.download(second)));
    }
  }

  @ParameterizedTest(name = "emulated = {0}")
  @ValueSource(booleans = {false, true})
  void writeIntoOverwritesANonContiguousArrayInPlace(boolean emulated) {
    DeviceTransfer.setEmulated(emulated);
    try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
      NDArray base = m.zeros(new Shape(3, 4));
      NDArray transposed = base.transpose(); // a strided view of base's memory
      float[] v = values(12);
      DeviceTransfer.writeInto(transposed, FloatBuffer.wrap(v));
      assertArrayEquals(v, DeviceTransfer.download(transposed));
      assertArrayEquals(DeviceTransfer.download(base.transpose()), v);
    }
  }

  @ParameterizedTest(name = "emulated = {0}")
  @ValueSource(booleans = {false, true})
  void transfersLeaveNothingInTheArraysManager(boolean emulated) throws Exception {
    DeviceTransfer.setEmulated(emulated);
    try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
      NDArray a = DeviceTransfer.upload(m, values(64), new Shape(8, 8));
      int resources = resources(m);
      for (int i = 0; i < 100; i++) {
        DeviceTransfer.download(a);
        DeviceTransfer.writeInto(a, FloatBuffer.wrap(values(64)));
      }
      assertEquals(resources, resources(m), "arrays or sub-managers left behind");
    }
  }

  @ParameterizedTest(name = "emulated = {0}")
  @ValueSource(booleans = {false, true})
  void aHostViewIsTheArraysMemoryOnlyOnCpuWithoutEmulation(boolean emulated) {
    DeviceTransfer.setEmulated(emulated);
    try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
      NDArray a = m.zeros(new Shape(4));
      assertEquals(!emulated, DeviceTransfer.sharesHostMemory(a));
      assertEquals(!emulated, DeviceTransfer.sharesHostMemory(m));
    }
  }

  @org.junit.jupiter.api.Test
  void countsSayHowManyBytesCrossed() {
    DeviceTransfer.setEmulated(true);
    try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
      DeviceTransfer.Counts start = DeviceTransfer.counts();
      NDArray a = DeviceTransfer.upload(m, values(5), new Shape(5));
      DeviceTransfer.download(a);
      DeviceTransfer.Counts d = DeviceTransfer.counts().minus(start);
      assertEquals(1, d.uploads());
      assertEquals(1, d.downloads());
      assertEquals(20, d.uploadedBytes());
      assertEquals(20, d.downloadedBytes());
    }
  }

  private static float[] concat(float[] a, float[] b) {
    float[] out = new float[a.length + b.length];
    System.arraycopy(a, 0, out, 0, a.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  /** Arrays and sub-managers attached to {@code m} (DJL keeps them in one map). */
  static int resources(NDManager m) throws Exception {
    Field f = BaseNDManager.class.getDeclaredField("resources");
    f.setAccessible(true);
    return ((Map<?, ?>) f.get(m)).size();
  }
}
