package ai.igspark.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.igspark.data.InvalidInputException;
import java.util.List;
import org.junit.jupiter.api.Test;

class DeviceAssignmentTest {

  @Test
  void assignedGpuAddressesBecomeGpuDevices() {
    assertEquals(List.of(Device.gpu(2), Device.gpu(5)),
        DeviceAssignment.fromGpuAddresses(List.of("2", "5"), 1));
  }

  @Test
  void noGpuMeansOneCpuDevice() {
    assertEquals(List.of(Device.cpu()), DeviceAssignment.fromGpuAddresses(List.of(), 1));
  }

  @Test
  void cpuReplicasRepeatTheCpuDevice() {
    assertEquals(List.of(Device.cpu(), Device.cpu(), Device.cpu()),
        DeviceAssignment.fromGpuAddresses(List.of(), 3));
  }

  @Test
  void aGpuAddressThatIsNotAnOrdinalIsRejectedWithIt() {
    InvalidInputException e = assertThrows(InvalidInputException.class,
        () -> DeviceAssignment.fromGpuAddresses(List.of("0", "GPU-3f2a"), 1));

    assertTrue(e.getMessage().contains("'GPU-3f2a'"), e.getMessage());
  }

  @Test
  void zeroCpuReplicasIsRejectedWithTheValue() {
    InvalidInputException e = assertThrows(InvalidInputException.class,
        () -> DeviceAssignment.fromGpuAddresses(List.of(), 0));

    assertTrue(e.getMessage().contains("cpu replicas must be >= 1, got 0"), e.getMessage());
  }

  @Test
  void outsideASparkTaskThereIsNoAssignment() {
    assertThrows(IllegalStateException.class, () -> DeviceAssignment.forCurrentTask(1));
  }
}
