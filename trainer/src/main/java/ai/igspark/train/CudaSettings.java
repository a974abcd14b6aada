package ai.igspark.train;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;
import ai.igspark.config.RunConfig;
import ai.igspark.data.LoopbackOnly;
import ai.igspark.device.ComputeDevice;
import ai.igspark.device.LibtorchDirectory;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The CUDA settings of one executor JVM, applied before its first training step
 * (cluster-config/README.md, "Running on GPUs"). Call {@link #apply} in every training task,
 * before the first {@link TrainingState} is created on its devices; it is cheap and idempotent.
 *
 * <p>What it does, in order:
 *
 * <ol>
 *   <li>checks the libtorch of {@code PYTORCH_LIBRARY_PATH} ({@link LibtorchDirectory}) before
 *       DJL loads it, so a wrong directory is named instead of failing inside the JNI loader;
 *   <li>starts DJL's engine and fails, before step 0, when the task was given a GPU ordinal this
 *       JVM does not see ({@code Engine.getGpuCount()});
 *   <li>sets libtorch's cuDNN benchmark flag ({@code JniUtils.setBenchmarkCuDNN}) to {@code
 *       gpu.cudnn_benchmark} when the task has a GPU (off otherwise);
 *   <li>reports the TF32 state: libtorch reads {@code TORCH_ALLOW_TF32_CUBLAS_OVERRIDE} and
 *       {@code NVIDIA_TF32_OVERRIDE} from the environment when the JVM starts, so a JVM whose
 *       environment disagrees with {@code gpu.tf32} (bin/igspark's local mode, where no executor
 *       environment applies) is logged as a warning; it cannot be changed from here.
 * </ol>
 */
public final class CudaSettings {
  private static final Logger LOG = LoggerFactory.getLogger(CudaSettings.class);

  private CudaSettings() {}

  /**
   * What is in force in this JVM after {@link #apply}.
   *
   * @param gpus the GPUs DJL sees in this JVM
   * @param tf32Matmul fp32 matmuls (cuBLAS) run in TF32: TORCH_ALLOW_TF32_CUBLAS_OVERRIDE=1
   *     and no NVIDIA_TF32_OVERRIDE=0
   * @param tf32Convolutions cuDNN convolutions may use TF32: libtorch's default, unless
   *     NVIDIA_TF32_OVERRIDE=0
   * @param cudnnBenchmark the cuDNN benchmark flag igspark set
   */
  public record InForce(
      int gpus, boolean tf32Matmul, boolean tf32Convolutions, boolean cudnnBenchmark) {

    /** One line for logs and {@code igspark gpu-check}. */
    public String describe() {
      return "TF32 matmul " + onOff(tf32Matmul) + ", TF32 cuDNN convolutions "
          + onOff(tf32Convolutions) + ", cuDNN benchmark " + onOff(cudnnBenchmark);
    }

    private static String onOff(boolean b) {
      return b ? "on" : "off";
    }
  }

  /**
   * Applies {@code gpu} for a task training on {@code devices}; see the class comment.
   *
   * @throws ai.igspark.data.InvalidInputException a wrong PYTORCH_LIBRARY_PATH, or a GPU of
   *     {@code devices} that this JVM does not see
   */
  public static InForce apply(RunConfig.Gpu gpu, List<Device> devices) {
    LoopbackOnly.apply();
    LibtorchDirectory.checkThisJvm();
    int visible = Engine.getInstance().getGpuCount();
    ComputeDevice.requireVisible(
        "the training task's devices " + devices.stream().map(ComputeDevice::name).toList()
            + " (Spark's spark.task.resource.gpu.amount and discovery script)",
        devices);
    boolean onGpu = devices.stream().anyMatch(Device::isGpu);
    boolean benchmark = onGpu && gpu.cudnnBenchmark();
    JniUtils.setBenchmarkCuDNN(benchmark);
    InForce inForce = inForce(System.getenv(), visible, benchmark);
    if (onGpu) {
      if (inForce.tf32Matmul() != gpu.tf32()) {
        LOG.warn(
            "gpu.tf32 is {} but this JVM's environment has TORCH_ALLOW_TF32_CUBLAS_OVERRIDE={}"
                + " NVIDIA_TF32_OVERRIDE={}: libtorch read them at start, so fp32 matmuls run"
                + " with TF32 {} (in local mode set them before bin/igspark)",
            gpu.tf32(), System.getenv("TORCH_ALLOW_TF32_CUBLAS_OVERRIDE"),
            System.getenv("NVIDIA_TF32_OVERRIDE"), inForce.tf32Matmul() ? "on" : "off");
      }
      LOG.info("CUDA settings on {}: {}", devices, inForce.describe());
    }
    return inForce;
  }

  /** The TF32 state libtorch takes from {@code env}, with the benchmark flag as set. */
  static InForce inForce(Map<String, String> env, int gpus, boolean cudnnBenchmark) {
    boolean nvidiaOff = "0".equals(env.get("NVIDIA_TF32_OVERRIDE"));
    boolean cublasOverride = "1".equals(env.get("TORCH_ALLOW_TF32_CUBLAS_OVERRIDE"));
    return new InForce(gpus, cublasOverride && !nvidiaOff, !nvidiaOff, cudnnBenchmark);
  }

  /** The TF32 state of this JVM (benchmark flag as given; DJL cannot read it back). */
  public static InForce current(boolean cudnnBenchmark) {
    return inForce(System.getenv(), Engine.getInstance().getGpuCount(), cudnnBenchmark);
  }
}
