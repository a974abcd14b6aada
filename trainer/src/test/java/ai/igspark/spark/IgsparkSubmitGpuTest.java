package ai.igspark.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bin/igspark-submit --gpu}: the checks of PYTORCH_LIBRARY_PATH against fake libtorch
 * directories (empty files named like the real libraries), which run before anything is built or
 * started, and the settings bin/lib/gpu.sh derives. No GPU and no real CUDA libtorch are involved.
 */
class IgsparkSubmitGpuTest {
  private static final Path PROJECT =
      Path.of(System.getProperty("igspark.project.dir", "..")).toAbsolutePath().normalize();

  @TempDir Path tmp;

  /** Runs the script with {@code env} added; returns {exit code, stderr}. */
  private static String[] submit(Map<String, String> env, String... args)
      throws IOException, InterruptedException {
    List<String> command =
        new ArrayList<>(List.of(PROJECT.resolve("bin/igspark-submit").toString()));
    command.addAll(List.of(args));
    ProcessBuilder builder =
        new ProcessBuilder(command).redirectOutput(ProcessBuilder.Redirect.DISCARD);
    builder.environment().remove("SPARK_HOME");
    builder.environment().remove("PYTORCH_LIBRARY_PATH");
    builder.environment().remove("PYTORCH_FLAVOR");
    builder.environment().remove("IGSPARK_LIBTORCH_CHECK");
    builder.environment().put("PATH", "/usr/bin:/bin"); // no spark-submit there
    builder.environment().putAll(env);
    Process process = builder.start();
    String err = new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(process.waitFor(30, TimeUnit.SECONDS));
    return new String[] {Integer.toString(process.exitValue()), err};
  }

  private static String[] gpuSubmit(Path libtorch) throws Exception {
    return submit(Map.of("PYTORCH_LIBRARY_PATH", libtorch.toString()),
        "--gpu", "--profile", "local", "cluster-check");
  }

  /**
   * A libtorch zip's layout, libtorch/{build-version, lib/}, with empty stand-ins for the
   * libraries; returns lib/.
   */
  private Path libtorch(String name, String buildVersion, boolean cuda) throws IOException {
    Path lib = Files.createDirectories(tmp.resolve(name).resolve("libtorch/lib"));
    for (String f : List.of("libtorch.so", "libc10.so", "libtorch_cpu.so", "libdjl_torch.so")) {
      Files.createFile(lib.resolve(f));
    }
    if (cuda) {
      Files.createFile(lib.resolve("libtorch_cuda.so"));
      Files.createFile(lib.resolve("libc10_cuda.so"));
    }
    if (buildVersion != null) {
      Files.writeString(lib.resolveSibling("build-version"), buildVersion + "\n");
    }
    return lib;
  }

  /** The check passed when the script goes on to look for spark-submit. */
  private static void assertCheckPassed(String[] r) {
    assertEquals("2", r[0], r[1]);
    assertTrue(r[1].contains("spark-submit not found"), r[1]);
  }

  @Test
  void withoutPytorchLibraryPathItSaysWhatToSet() throws Exception {
    String[] r = submit(Map.of(), "--gpu", "--profile", "local", "cluster-check");

    assertEquals("2", r[0]);
    assertTrue(r[1].startsWith("igspark-submit: --gpu needs PYTORCH_LIBRARY_PATH"), r[1]);
    assertTrue(r[1].contains("CUDA libtorch 2.7.1 (cu128)"), r[1]);
    assertFalse(r[1].contains("spark-submit not found"), "stops before Spark: " + r[1]);
  }

  @Test
  void anEmptyDirectoryListsTheMissingLibraries() throws Exception {
    Path empty = Files.createDirectories(tmp.resolve("empty"));

    String[] r = gpuSubmit(empty);

    assertEquals("2", r[0]);
    assertTrue(r[1].contains("PYTORCH_LIBRARY_PATH=" + empty + " lacks libtorch.so, libc10.so,"
        + " libdjl_torch.so"), r[1]);
    assertTrue(r[1].contains("jnilib/linux-x86_64/cu128/libdjl_torch.so"), r[1]);
  }

  @Test
  void aMissingDirectoryAndARelativePathAreNamed() throws Exception {
    String[] missing = gpuSubmit(tmp.resolve("nowhere"));
    assertEquals("2", missing[0]);
    assertTrue(missing[1].contains("is not a directory on this host"), missing[1]);

    String[] relative = submit(Map.of("PYTORCH_LIBRARY_PATH", "libtorch/lib"),
        "--gpu", "--profile", "local", "cluster-check");
    assertEquals("2", relative[0]);
    assertTrue(relative[1].contains("give an absolute path"), relative[1]);
  }

  @Test
  void anotherLibtorchVersionIsRefusedWithTheVersionItHas() throws Exception {
    Path lib = libtorch("old", "2.6.0+cu124", true);

    String[] r = gpuSubmit(lib);

    assertEquals("2", r[0]);
    assertTrue(r[1].contains("holds libtorch 2.6.0+cu124"), r[1]);
    assertTrue(r[1].contains("build-version); DJL 0.36 needs 2.7.1"), r[1]);
  }

  @Test
  void aCpuOnlyLibtorchIsRefused() throws Exception {
    String[] noCuda = gpuSubmit(libtorch("cpu", "2.7.1+cpu", false));
    assertEquals("2", noCuda[0]);
    assertTrue(noCuda[1].contains("holds a CPU-only libtorch (2.7.1+cpu"), noCuda[1]);
    assertTrue(noCuda[1].contains("no libtorch_cuda.so"), noCuda[1]);
    assertTrue(noCuda[1].contains("needs the CUDA build 2.7.1+cu128"), noCuda[1]);

    String[] cpuTag = gpuSubmit(libtorch("tagged", "2.7.1+cpu", true));
    assertEquals("2", cpuTag[0]);
    assertTrue(cpuTag[1].contains("a +cpu build"), cpuTag[1]);
  }

  @Test
  void aDirectoryWithoutAVersionSaysHowToDeclareIt() throws Exception {
    Path lib = libtorch("unversioned", null, true);

    String[] r = gpuSubmit(lib);

    assertEquals("2", r[0]);
    assertTrue(r[1].contains("cannot tell its libtorch version"), r[1]);
    assertTrue(r[1].contains("echo 2.7.1+cu128 > " + lib + "/build-version"), r[1]);
  }

  @Test
  void anotherCudaFlavorThanPytorchFlavorIsNamed() throws Exception {
    String[] r = gpuSubmit(libtorch("cu126", "2.7.1+cu126", true));

    assertEquals("2", r[0]);
    assertTrue(r[1].contains("holds libtorch 2.7.1+cu126, but PYTORCH_FLAVOR=cu128"), r[1]);
  }

  @Test
  void aCuda128LibtorchPassesTheCheck() throws Exception {
    Path lib = libtorch("good", "2.7.1+cu128", true);

    String[] r = gpuSubmit(lib);

    assertCheckPassed(r);
    assertTrue(r[1].contains("warning: no libcudart.so in " + lib), r[1]);
    Files.createFile(lib.resolve("libcudart-0123abcd.so.12"));
    Files.createSymbolicLink(lib.resolve("libcudart.so"), Path.of("libcudart-0123abcd.so.12"));
    String[] linked = gpuSubmit(lib);
    assertCheckPassed(linked);
    assertFalse(linked[1].contains("warning"), linked[1]);
  }

  @Test
  void aPipWheelsTorchLibWithVersionPyPassesTheCheck() throws Exception {
    Path lib = Files.createDirectories(tmp.resolve("site-packages/torch/lib"));
    for (String f : List.of("libtorch.so", "libc10.so", "libtorch_cuda.so", "libdjl_torch.so")) {
      Files.createFile(lib.resolve(f));
    }
    Files.writeString(lib.resolveSibling("version.py"),
        "from typing import Optional\n__version__ = '2.7.1+cu128'\ncuda: Optional[str] = '12.8'\n");

    assertCheckPassed(gpuSubmit(lib));
  }

  @Test
  void aKubernetesMasterLeavesThePathInTheImageToTheExecutors() throws Exception {
    String[] r = submit(Map.of("PYTORCH_LIBRARY_PATH", "/opt/libtorch/lib"),
        "--gpu", "--profile", "k8s", "--master", "k8s://https://127.0.0.1:6443", "train");

    assertCheckPassed(r);
    assertTrue(r[1].contains("PYTORCH_LIBRARY_PATH=/opt/libtorch/lib is not checked on this host"),
        r[1]);
  }

  /** Runs {@code script} in bash after sourcing bin/lib/gpu.sh; returns its stdout. */
  private static String gpuLib(String script) throws Exception {
    ProcessBuilder builder = new ProcessBuilder("bash", "-c",
        "set -euo pipefail; source \"$1\"; " + script, "bash",
        PROJECT.resolve("bin/lib/gpu.sh").toString());
    builder.environment().remove("PYTORCH_FLAVOR");
    builder.environment().remove("TORCH_ALLOW_TF32_CUBLAS_OVERRIDE");
    builder.redirectErrorStream(true);
    Process p = builder.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(30, TimeUnit.SECONDS));
    assertEquals(0, p.exitValue(), out);
    return out;
  }

  @Test
  void theGpuSettingsReachExecutorsAndAYarnDriver() throws Exception {
    String out = gpuLib("PYTORCH_LIBRARY_PATH=/opt/libtorch/lib igspark_gpu_conf yarn;"
        + " printf '%s\\n' \"${IGSPARK_GPU_CONF[@]}\"");

    for (String entry : List.of("PYTORCH_LIBRARY_PATH=/opt/libtorch/lib", "PYTORCH_VERSION=2.7.1",
        "PYTORCH_FLAVOR=cu128", "CUDA_DEVICE_ORDER=PCI_BUS_ID",
        "TORCH_ALLOW_TF32_CUBLAS_OVERRIDE=1")) {
      assertTrue(out.contains("--conf\nspark.executorEnv." + entry + "\n"), entry + " in " + out);
      assertTrue(out.contains("--conf\nspark.yarn.appMasterEnv." + entry + "\n"),
          entry + " in " + out);
    }
    assertFalse(out.contains("kubernetes"), out);
    String k8s = gpuLib("PYTORCH_LIBRARY_PATH=/l igspark_gpu_conf k8s://https://api:6443;"
        + " printf '%s\\n' \"${IGSPARK_GPU_CONF[@]}\"");
    assertTrue(k8s.contains("spark.kubernetes.driverEnv.PYTORCH_LIBRARY_PATH=/l\n"), k8s);
    String standalone = gpuLib("PYTORCH_LIBRARY_PATH=/l igspark_gpu_conf spark://h:7077;"
        + " printf '%s\\n' \"${IGSPARK_GPU_CONF[@]}\"");
    assertFalse(standalone.contains("appMasterEnv") || standalone.contains("driverEnv"),
        "a standalone driver runs in igspark-submit's own environment: " + standalone);
  }

  @Test
  void theCpuLibtorchJarIsNotShippedUnderGpu() throws Exception {
    String out = gpuLib(
        "for j in lib/pytorch-native-cpu-2.7.1-linux-x86_64.jar lib/pytorch-jni-2.7.1-0.36.0.jar"
            + " lib/pytorch-engine-0.36.0.jar; do"
            + " if igspark_gpu_shipped \"$j\"; then echo \"ship $j\"; else echo \"keep $j\"; fi;"
            + " done");

    assertTrue(out.contains("keep lib/pytorch-native-cpu-2.7.1-linux-x86_64.jar"), out);
    assertTrue(out.contains("ship lib/pytorch-jni-2.7.1-0.36.0.jar"), out);
    assertTrue(out.contains("ship lib/pytorch-engine-0.36.0.jar"), out);
  }

  @Test
  void djlCacheDirectoriesTellTheirVersionByName() throws Exception {
    String out = gpuLib("igspark_libtorch_version /x/2.7.1-cu128-linux-x86_64;"
        + " igspark_libtorch_version /x/2.7.1-20250812-cpu-linux-x86_64");

    assertTrue(out.contains("2.7.1+cu128 the directory name"), out);
    assertTrue(out.contains("2.7.1+cpu the directory name"), out);
  }

  /**
   * The whole command line --gpu hands to spark-submit, from a copy of bin/ and cluster-config/
   * with a stand-in build (empty jars) and a stand-in spark-submit that prints its arguments and
   * the GPU environment it got (IgsparkSubmitSparkTest runs the real one).
   */
  @Test
  void sparkSubmitGetsNoCpuLibtorchJarAndTheGpuSettings() throws Exception {
    IgsparkSubmitProject project = IgsparkSubmitProject.copyTo(tmp.resolve("project"));
    Path lib = project.lib();
    for (String jar : List.of("pytorch-native-cpu-2.7.1-linux-x86_64.jar",
        "pytorch-jni-2.7.1-0.36.0.jar", "pytorch-engine-0.36.0.jar", "spark-core_2.13-4.1.3.jar")) {
      Files.createFile(lib.resolve(jar));
    }
    Path spark = tmp.resolve("spark");
    Files.createDirectories(spark.resolve("jars"));
    Files.createFile(spark.resolve("jars/spark-core_2.13-4.1.3.jar"));
    Path submit = Files.createDirectories(spark.resolve("bin")).resolve("spark-submit");
    Files.writeString(submit, "#!/usr/bin/env bash\nprintf '%s\\n' \"$@\"\n"
        + "env | grep -E '^(PYTORCH|CUDA_DEVICE_ORDER|TORCH_ALLOW)' | sort | sed 's/^/ENV /'\n");
    submit.toFile().setExecutable(true);
    Path libtorch = libtorch("good", "2.7.1+cu128", true);

    ProcessBuilder builder = new ProcessBuilder(project.script().toString(),
        "--profile", "yarn", "--gpu", "--", "train", "--config", "run.yaml");
    builder.environment().put("SPARK_HOME", spark.toString());
    builder.environment().put("PYTORCH_LIBRARY_PATH", libtorch.toString());
    builder.environment().remove("PYTORCH_FLAVOR");
    builder.environment().remove("TORCH_ALLOW_TF32_CUBLAS_OVERRIDE");
    builder.environment().remove("CUDA_DEVICE_ORDER");
    Process p = builder.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(30, TimeUnit.SECONDS));
    assertEquals(0, p.exitValue(), err + out);

    List<String> args = List.of(out.split("\n"));
    String jars = args.get(args.indexOf("--jars") + 1);
    assertEquals(lib.resolve("pytorch-engine-0.36.0.jar") + "," + lib.resolve(
        "pytorch-jni-2.7.1-0.36.0.jar"), jars, "no CPU libtorch, nothing Spark has");
    for (String conf : List.of("spark.executorEnv.PYTORCH_LIBRARY_PATH=" + libtorch,
        "spark.yarn.appMasterEnv.PYTORCH_LIBRARY_PATH=" + libtorch,
        "spark.executorEnv.PYTORCH_FLAVOR=cu128", "spark.executorEnv.PYTORCH_VERSION=2.7.1",
        "spark.executorEnv.CUDA_DEVICE_ORDER=PCI_BUS_ID",
        "spark.executorEnv.TORCH_ALLOW_TF32_CUBLAS_OVERRIDE=1")) {
      assertEquals("--conf", args.get(args.indexOf(conf) - 1), conf + " in " + out);
    }
    String executorOpts = args.stream()
        .filter(a -> a.startsWith("spark.executor.extraJavaOptions=")).findFirst().orElseThrow();
    assertTrue(executorOpts.contains("-Djna.library.path=" + libtorch), executorOpts);
    String driverOpts = args.stream()
        .filter(a -> a.startsWith("spark.driver.extraJavaOptions=")).findFirst().orElseThrow();
    assertTrue(driverOpts.contains("-Djna.library.path=" + libtorch), driverOpts);
    assertTrue(out.contains("ENV PYTORCH_LIBRARY_PATH=" + libtorch + "\n"), "client-mode driver: "
        + out);
    assertTrue(out.contains("ENV PYTORCH_FLAVOR=cu128\n"), out);
    int app = args.indexOf(project.appJar().toString());
    assertEquals(List.of("train", "--config", "run.yaml"), args.subList(app + 1, app + 4), out);
  }
}
