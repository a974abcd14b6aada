package ai.igspark.device;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.igspark.data.InvalidInputException;
import ai.igspark.spark.DeviceAssignment;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code cpu} / {@code gpu:N}, and the error for a GPU this JVM does not have. */
class ComputeDeviceTest {

  @Test
  void cpuAndGpuOrdinalsParse() {
    assertEquals(Device.cpu(), ComputeDevice.parse("--device", "cpu"));
    assertEquals(Device.gpu(3), ComputeDevice.parse("--device", "gpu:3"));
    assertEquals("gpu:3", ComputeDevice.name(Device.gpu(3)));
    assertEquals("cpu", ComputeDevice.name(Device.cpu()));
  }

  @Test
  void anythingElseIsRefusedWithTheAcceptedForms() {
    for (String bad : new String[] {"gpu", "gpu:", "gpu:-1", "gpu:x", "cuda:0", "GPU:0", ""}) {
      var e = assertThrows(InvalidInputException.class, () -> ComputeDevice.parse("--device", bad));
      assertTrue(e.getMessage().equals("--device '" + bad + "': expected cpu or gpu:N (N a CUDA"
          + " device ordinal, e.g. gpu:0)"), e.getMessage());
    }
    assertThrows(InvalidInputException.class, () -> ComputeDevice.parseJob("eval", "tpu"));
    assertEquals("task", ComputeDevice.parseJob("eval", "task"));
  }

  @Test
  void aGpuBeyondTheVisibleOnesListsWhatThisJvmSees() {
    int gpus = ComputeDevice.visibleGpus();
    String missing = "gpu:" + gpus;

    var e = assertThrows(InvalidInputException.class,
        () -> ComputeDevice.resolve("--device", missing));

    assertTrue(e.getMessage().startsWith("--device " + missing + ": no such GPU; this JVM sees cpu"),
        e.getMessage());
    assertTrue(e.getMessage().contains("PyTorch 2.7.1"), e.getMessage());
    if (gpus == 0) {
      assertTrue(e.getMessage().contains("cpu only (no GPU)"), e.getMessage());
    }
    assertEquals(Device.cpu(), ComputeDevice.resolve("--device", "cpu"));
  }

  @Test
  void theTaskDeviceOutsideASparkTaskIsTheCpu() {
    assertEquals(Device.cpu(), DeviceAssignment.forJob("eval device", ComputeDevice.TASK));
  }

  @Test
  void requireVisibleNamesWhereTheDevicesCameFrom() {
    ComputeDevice.requireVisible("cpu replicas", List.of(Device.cpu(), Device.cpu()));
    var e = assertThrows(InvalidInputException.class, () -> ComputeDevice.requireVisible(
        "rank 0's devices", List.of(Device.gpu(ComputeDevice.visibleGpus()))));
    assertTrue(e.getMessage().startsWith("rank 0's devices: no such GPU"), e.getMessage());
  }
}
