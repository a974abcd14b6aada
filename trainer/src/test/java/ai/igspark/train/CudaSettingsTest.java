package ai.igspark.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.igspark.config.RunConfig;
import ai.igspark.data.InvalidInputException;
import ai.igspark.device.ComputeDevice;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CudaSettingsTest {

  @Test
  void onTheCpuNothingIsSwitchedOn() {
    CudaSettings.InForce s = CudaSettings.apply(RunConfig.Gpu.defaults(), List.of(Device.cpu()));

    assertFalse(s.cudnnBenchmark(), "the benchmark flag is for tasks with a GPU");
    assertEquals(ComputeDevice.visibleGpus(), s.gpus());
  }

  @Test
  void moreGpusThanVisibleFailBeforeTheFirstStep() {
    int visible = ComputeDevice.visibleGpus();
    List<Device> devices = List.of(Device.gpu(0), Device.gpu(visible));

    var e = assertThrows(InvalidInputException.class,
        () -> CudaSettings.apply(RunConfig.Gpu.defaults(), devices));

    assertTrue(e.getMessage().contains("the training task's devices [gpu:0, gpu:" + visible + "]"),
        e.getMessage());
    assertTrue(e.getMessage().contains("spark.task.resource.gpu.amount"), e.getMessage());
    assertTrue(e.getMessage().contains("no such GPU"), e.getMessage());
  }

  @Test
  void tf32StateFollowsTheEnvironmentLibtorchReads() {
    assertTrue(CudaSettings.inForce(Map.of("TORCH_ALLOW_TF32_CUBLAS_OVERRIDE", "1"), 8, true)
        .tf32Matmul());
    assertFalse(CudaSettings.inForce(Map.of(), 8, true).tf32Matmul(), "libtorch's default");
    assertTrue(CudaSettings.inForce(Map.of(), 8, true).tf32Convolutions(), "libtorch's default");
    CudaSettings.InForce off = CudaSettings.inForce(
        Map.of("TORCH_ALLOW_TF32_CUBLAS_OVERRIDE", "1", "NVIDIA_TF32_OVERRIDE", "0"), 8, false);
    assertFalse(off.tf32Matmul());
    assertFalse(off.tf32Convolutions());
    assertEquals("TF32 matmul off, TF32 cuDNN convolutions off, cuDNN benchmark off",
        off.describe());
  }
}
