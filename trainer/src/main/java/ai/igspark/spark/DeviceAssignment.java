package ai.igspark.spark;

import ai.djl.Device;
import ai.igspark.data.InvalidInputException;
import ai.igspark.device.ComputeDevice;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.apache.spark.TaskContext;
import org.apache.spark.resource.ResourceInformation;

/**
 * The devices one rank drives. A rank's task owns every GPU Spark assigned to it ({@code
 * TaskContext.resources().get("gpu")}, docs/ARCHITECTURE.md §4) and reduces their gradients locally
 * before joining the ring; without GPUs it runs on the CPU.
 *
 * <p>{@code cpuReplicas > 1} asks for that many CPU replicas when no GPU is assigned, so the
 * multi-replica path (split batch, local gradient sum) runs on CPU-only machines and in tests.
 * libtorch has a single CPU device, so the replicas are the same {@link Device} repeated: a
 * replica is identified by its index in the list, not by the device.
 */
public final class DeviceAssignment {
  /** The Spark resource name of GPUs. */
  public static final String GPU = "gpu";

  private DeviceAssignment() {}

  /**
   * The device of a job's {@code value}: {@value ComputeDevice#TASK} resolves against the current Spark task's
   * GPUs, anything else as {@link ComputeDevice#resolve}.
   */
  public static Device forJob(String option, String value) {
    if (!ComputeDevice.TASK.equals(value)) {
      return ComputeDevice.resolve(option, value);
    }
    TaskContext task = TaskContext.get();
    ResourceInformation gpus =
        task == null ? null : task.resourcesJMap().get(GPU);
    if (gpus == null || gpus.addresses().length == 0) {
      return Device.cpu();
    }
    Device device =
        fromGpuAddresses(List.of(gpus.addresses()[0]), 1).get(0);
    ComputeDevice.requireVisible(option + " " + ComputeDevice.TASK + " (Spark GPU address " + gpus.addresses()[0] + ")",
        List.of(device));
    return device;
  }

  /** Devices for the Spark task running on this thread. */
  public static List<Device> forCurrentTask(int cpuReplicas) {
    TaskContext task = TaskContext.get();
    if (task == null) {
      throw new IllegalStateException("DeviceAssignment.forCurrentTask outside a Spark task");
    }
    Map<String, ResourceInformation> resources = task.resourcesJMap();
    ResourceInformation gpus = resources.get(GPU);
    return fromGpuAddresses(gpus == null ? List.of() : List.of(gpus.addresses()), cpuReplicas);
  }

  /**
   * One {@code Device.gpu(i)} per GPU address (Spark reports ordinals as strings, e.g. "0");
   * with none, {@code cpuReplicas} copies of the CPU device.
   */
  public static List<Device> fromGpuAddresses(List<String> gpuAddresses, int cpuReplicas) {
    if (cpuReplicas < 1) {
      throw new InvalidInputException("cpu replicas must be >= 1, got " + cpuReplicas);
    }
    if (gpuAddresses.isEmpty()) {
      return Collections.nCopies(cpuReplicas, Device.cpu());
    }
    List<Device> devices = new ArrayList<>(gpuAddresses.size());
    for (String address : gpuAddresses) {
      int ordinal;
      try {
        ordinal = Integer.parseInt(address.trim());
      } catch (NumberFormatException e) {
        ordinal = -1;
      }
      if (ordinal < 0) {
        throw new InvalidInputException(
            "GPU address '" + address + "' from Spark's resource discovery is not a device ordinal"
                + " (expected 0, 1, ...); check spark.executor.resource.gpu.discoveryScript");
      }
      devices.add(Device.gpu(ordinal));
    }
    return List.copyOf(devices);
  }
}
