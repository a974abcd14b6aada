package ai.igspark.device;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.igspark.data.InvalidInputException;
import ai.igspark.data.LoopbackOnly;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The device a command or job computes on, named {@code cpu} or {@code gpu:N} (a CUDA ordinal as
 * this JVM sees it, after {@code CUDA_VISIBLE_DEVICES}), so nothing falls back on DJL's implicit
 * default device (GPU 0 whenever CUDA is present). {@value #TASK} names the first GPU Spark
 * assigned to the running task, or the CPU without one (evaluation jobs that run on the
 * training executors).
 */
public final class ComputeDevice {
  /** The default of every {@code --device} option. */
  public static final String CPU = "cpu";
  /** The first GPU Spark gave the current task, else the CPU. */
  public static final String TASK = "task";

  private static final Pattern GPU = Pattern.compile("gpu:(\\d{1,4})");

  private ComputeDevice() {}

  /**
   * The device {@code value} names ({@code cpu} or {@code gpu:N}); syntax only, nothing is loaded.
   *
   * @param option what to name in the error ("--device")
   */
  public static Device parse(String option, String value) {
    if (CPU.equals(value)) {
      return Device.cpu();
    }
    Matcher m = value == null ? null : GPU.matcher(value);
    if (m != null && m.matches()) {
      return Device.gpu(Integer.parseInt(m.group(1)));
    }
    throw new InvalidInputException(
        option + " '" + value + "': expected cpu or gpu:N (N a CUDA device ordinal, e.g. gpu:0)");
  }

  /** Checks the syntax of a job's device: {@value #TASK}, or what {@link #parse} accepts. */
  public static String parseJob(String option, String value) {
    if (!TASK.equals(value)) {
      parse(option, value);
    }
    return value;
  }

  /** {@link #parse}, then {@link #requireVisible}: a GPU must exist in this JVM. */
  public static Device resolve(String option, String value) {
    Device device = parse(option, value);
    requireVisible(option + " " + value, List.of(device));
    return device;
  }

  /** {@code cpu} or {@code gpu:N}. */
  public static String name(Device device) {
    return device.isGpu() ? "gpu:" + device.getDeviceId() : CPU;
  }

  /** The number of GPUs DJL's PyTorch engine sees in this JVM (loads the engine). */
  public static int visibleGpus() {
    LoopbackOnly.apply();
    LibtorchDirectory.checkThisJvm();
    return Engine.getInstance().getGpuCount();
  }

  /** The devices of this JVM by name: cpu, gpu:0, gpu:1, … */
  public static List<String> visible() {
    List<String> names = new ArrayList<>(List.of(CPU));
    int gpus = visibleGpus();
    for (int i = 0; i < gpus; i++) {
      names.add("gpu:" + i);
    }
    return names;
  }

  /**
   * Fails unless every GPU of {@code devices} exists in this JVM, naming {@code what} (the option
   * and value, or where the devices came from), the devices PyTorch sees and the libtorch it
   * loaded.
   */
  public static void requireVisible(String what, List<Device> devices) {
    int wanted = -1;
    for (Device d : devices) {
      if (d.isGpu()) {
        wanted = Math.max(wanted, d.getDeviceId());
      }
    }
    if (wanted < 0) {
      return;
    }
    int gpus = visibleGpus();
    if (wanted < gpus) {
      return;
    }
    Engine engine = Engine.getInstance();
    String cuda = System.getenv("CUDA_VISIBLE_DEVICES");
    throw new InvalidInputException(
        what + ": no such GPU; this JVM sees " + String.join(", ", visible())
            + (gpus == 0 ? " only (no GPU)" : "") + " through " + engine.getEngineName() + " "
            + engine.getVersion() + " from " + libtorchPath()
            + (cuda != null ? ", CUDA_VISIBLE_DEVICES=" + cuda : "")
            + (gpus > 0 ? "" : engine.hasCapability("CUDA")
                ? "; this CUDA libtorch sees no GPU: no NVIDIA driver, CUDA_VISIBLE_DEVICES hides"
                    + " them, or DJL found no libcudart.so (it counts GPUs through one it loads by"
                    + " name: see cluster-config/README.md, \"Running on GPUs\"; igspark"
                    + " gpu-check)"
                : "; a CPU-only libtorch (set PYTORCH_LIBRARY_PATH to a CUDA one; igspark"
                    + " gpu-check)"));
  }

  /** Where DJL loaded libtorch from, or "?" before the engine is up. */
  public static String libtorchPath() {
    try {
      return ai.djl.pytorch.jni.LibUtils.getLibtorchPath();
    } catch (RuntimeException | LinkageError e) {
      return "?";
    }
  }
}
