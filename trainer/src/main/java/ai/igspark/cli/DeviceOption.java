package ai.igspark.cli;

import ai.djl.Device;
import ai.igspark.device.ComputeDevice;
import picocli.CommandLine.Option;

/**
 * {@code --device cpu|gpu:N}, shared by the commands that compute on one device. The default is
 * the CPU, so nothing lands on DJL's implicit default device (GPU 0 whenever CUDA is present); a
 * GPU must exist in this JVM, or the command stops before loading anything and lists the devices
 * it sees ({@link ComputeDevice}).
 */
final class DeviceOption {
  @Option(
      names = "--device",
      defaultValue = ComputeDevice.CPU,
      paramLabel = "cpu|gpu:N",
      description = "Where to compute: cpu (default) or gpu:N, a CUDA ordinal as this JVM sees it"
          + " (after CUDA_VISIBLE_DEVICES); see igspark gpu-check.")
  String value = ComputeDevice.CPU;

  /** The device, checked to exist here. */
  Device resolve() {
    return ComputeDevice.resolve("--device", value);
  }

  /** The device, syntax checked only (it is resolved where the work runs). */
  Device parse() {
    return ComputeDevice.parse("--device", value);
  }
}
