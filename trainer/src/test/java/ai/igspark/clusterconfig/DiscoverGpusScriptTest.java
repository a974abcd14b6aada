package ai.igspark.clusterconfig;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.spark.resource.ResourceInformation;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * cluster-config/gpu/discover-gpus.sh prints what Spark's own parser
 * ({@link ResourceInformation#parseJson}) reads as the GPUs this process may use.
 */
class DiscoverGpusScriptTest {
  @TempDir Path tmp;

  @Test
  void withoutNvidiaSmiTheAddressListIsEmpty() throws Exception {
    Path emptyPath = Files.createDirectory(tmp.resolve("bin"));
    String out = discover(Map.of("PATH", emptyPath.toString()));
    assertEquals("{\"name\": \"gpu\", \"addresses\": []}", out.strip());
    assertEquals(List.of(), addresses(out));
  }

  @Test
  void onThisMachineItListsWhatNvidiaSmiLists() throws Exception {
    // No GPU here (nor in CI): nvidia-smi is absent or fails, so the list must be empty. On a
    // GPU machine it must equal nvidia-smi's own listing.
    assertEquals(nvidiaSmiIndexes(), addresses(discover(Map.of())));
  }

  @Test
  void readsTheIndexesNvidiaSmiPrints() throws Exception {
    // A stand-in for GPU hardware we do not have: this nvidia-smi only prints what the real one
    // prints for two GPUs, to exercise the script's parsing. It is not a GPU test.
    Path bin = fakeNvidiaSmi("printf '0\\n1\\n'");
    String out = discover(Map.of("PATH", bin + ":" + System.getenv("PATH")));
    assertEquals("{\"name\": \"gpu\", \"addresses\": [\"0\", \"1\"]}", out.strip());
    assertEquals(List.of("0", "1"), addresses(out));
  }

  @Test
  void failingNvidiaSmiMeansNoGpus() throws Exception {
    // Stand-in for a node whose driver is missing: nvidia-smi exists but fails.
    Path bin = fakeNvidiaSmi("echo 'NVIDIA-SMI has failed' >&2; exit 9");
    assertEquals(List.of(), addresses(discover(Map.of("PATH", bin + ":" + System.getenv("PATH")))));
  }

  @Test
  void cudaVisibleDevicesAreRenumberedFromZero() throws Exception {
    // CUDA numbers the visible devices 0..n-1 whatever they were called outside.
    assertEquals(List.of("0", "1"), addresses(discover(Map.of("CUDA_VISIBLE_DEVICES", "2,3"))));
    assertEquals(
        List.of("0", "1", "2"),
        addresses(discover(Map.of("CUDA_VISIBLE_DEVICES", "GPU-aa11,GPU-bb22,GPU-cc33"))));
  }

  @Test
  void emptyOrSlurmNoDevicesCudaVisibleDevicesMeansNoGpus() throws Exception {
    assertEquals(List.of(), addresses(discover(Map.of("CUDA_VISIBLE_DEVICES", ""))));
    assertEquals(List.of(), addresses(discover(Map.of("CUDA_VISIBLE_DEVICES", "NoDevFiles"))));
    assertEquals(List.of(), addresses(discover(Map.of("CUDA_VISIBLE_DEVICES", "-1"))));
  }

  @Test
  void cudaVisibleDevicesWinsOverNvidiaSmi() throws Exception {
    Path bin = fakeNvidiaSmi("printf '0\\n1\\n2\\n3\\n'");
    assertEquals(
        List.of("0"),
        addresses(
            discover(
                Map.of("PATH", bin + ":" + System.getenv("PATH"), "CUDA_VISIBLE_DEVICES", "3"))));
  }

  private Path fakeNvidiaSmi(String body) throws IOException {
    Path bin = Files.createDirectories(tmp.resolve("fake-bin"));
    Path script = bin.resolve("nvidia-smi");
    Files.writeString(script, "#!/bin/sh\n" + body + "\n", StandardCharsets.UTF_8);
    Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
    return bin;
  }

  /** Runs the script with bash, CUDA_VISIBLE_DEVICES unset unless given; returns its stdout. */
  private static String discover(Map<String, String> env) throws Exception {
    Path script = ClusterConfigTree.file("gpu/discover-gpus.sh");
    ProcessBuilder builder = new ProcessBuilder("/bin/bash", script.toString());
    builder.environment().remove("CUDA_VISIBLE_DEVICES");
    builder.environment().putAll(env);
    builder.redirectError(ProcessBuilder.Redirect.DISCARD);
    Process process = builder.start();
    String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!process.waitFor(30, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      throw new AssertionError("discover-gpus.sh did not finish");
    }
    assertEquals(0, process.exitValue(), "exit status; output: " + out);
    return out;
  }

  /** The addresses as Spark parses them, checking the name is "gpu". */
  private static List<String> addresses(String json) {
    ResourceInformation info = ResourceInformation.parseJson(json.strip());
    assertEquals("gpu", info.name());
    return Arrays.asList(info.addresses());
  }

  /** nvidia-smi's GPU indexes on this machine; none when it is absent or fails. */
  private static List<String> nvidiaSmiIndexes() throws InterruptedException {
    List<String> indexes = new ArrayList<>();
    try {
      Process process =
          new ProcessBuilder("nvidia-smi", "--query-gpu=index", "--format=csv,noheader")
              .redirectError(ProcessBuilder.Redirect.DISCARD)
              .start();
      String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (process.waitFor() != 0) {
        return List.of();
      }
      out.lines().map(String::strip).filter(l -> l.matches("\\d+")).forEach(indexes::add);
    } catch (IOException e) {
      return List.of(); // no nvidia-smi
    }
    return indexes;
  }
}
