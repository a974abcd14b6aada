package ai.igspark.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Device emulation is only as complete as the transfer boundary: a host view of a tensor
 * ({@code toByteBuffer}) is a copy on CUDA, so main code may take one only inside
 * DeviceTransfer, or behind an explicit {@code DeviceTransfer.sharesHostMemory} check in the
 * files listed here. On the code before DeviceTransfer existed this test fails (FlatGradients,
 * TorchOwnedArrays and LatentDataset wrote through such views unconditionally).
 */
class DeviceTransferBoundaryTest {
  private static final Path ROOT = Path.of(System.getProperty("igspark.project.dir"));
  private static final String CALL = "toByteBuffer" + "(";
  private static final String TRANSFER = "DeviceTransfer.java";
  /** Files allowed a zero-copy host view, each behind the CPU check. */
  private static final Map<String, String> CHECKED =
      Map.of("LatentDataset.java", "DeviceTransfer.sharesHostMemory(");

  @Test
  void noMainCodeTakesAHostViewOfATensorOutsideTheTransferBoundary() throws IOException {
    List<String> offending = new ArrayList<>();
    for (Path file : mainSources()) {
      String name = file.getFileName().toString();
      if (name.equals(TRANSFER)) {
        continue;
      }
      String check = CHECKED.get(name);
      boolean checked = check != null && Files.readString(file).contains(check);
      for (String line : codeLines(file)) {
        if (line.contains(CALL) && !checked) {
          offending.add(line);
        }
      }
    }
    assertEquals(List.of(), offending, "host views of tensors outside DeviceTransfer");
  }

  /**
   * The code of a training step reads tensors to the host only through DeviceTransfer, so its
   * counters see every host synchronisation (TrainStepTest counts them per step). HostArrays
   * copies checkpoint state, never inside a step.
   */
  @Test
  void trainingStepCodeReadsTensorsOnlyThroughTheTransferBoundary() throws IOException {
    // NDArray's element reads: getFloat() or getFloat(0, 1), toFloatArray(), ...; not
    // configuration getters such as getBoolean("key", false).
    java.util.regex.Pattern read = java.util.regex.Pattern.compile(
        "\\.(get(Float|Long|Double|Boolean|Int)\\([0-9, L]*\\)"
            + "|to(Float|Long|Double|Boolean|Int)Array\\(\\))");
    List<String> offending = new ArrayList<>();
    for (Path file : mainSources()) {
      String path = file.toString().replace('\\', '/');
      boolean stepCode = path.contains("/ai/igspark/train/") || path.contains("/ai/igspark/optim/")
          || path.contains("/ai/igspark/diffusion/") || path.contains("/ai/igspark/model/");
      if (!stepCode || file.getFileName().toString().equals("HostArrays.java")) {
        continue;
      }
      for (String line : codeLines(file)) {
        if (read.matcher(line).find() && !line.contains("ByteBuffer")) {
          offending.add(line);
        }
      }
    }
    assertEquals(List.of(), offending, "host reads of tensors outside DeviceTransfer");
  }

  @Test
  void theTransferBoundaryExists() throws IOException {
    assertTrue(mainSources().stream().anyMatch(p -> p.getFileName().toString().equals(TRANSFER)));
  }

  /** {@code path:line: code} for every line of code, comments left out. */
  private static List<String> codeLines(Path file) throws IOException {
    List<String> out = new ArrayList<>();
    List<String> lines = Files.readAllLines(file);
    for (int i = 0; i < lines.size(); i++) {
      String code = lines.get(i).strip();
      if (code.startsWith("*") || code.startsWith("//") || code.startsWith("/*")) {
        continue;
      }
      int comment = code.indexOf("//");
      out.add(ROOT.relativize(file) + ":" + (i + 1) + ": "
          + (comment >= 0 ? code.substring(0, comment) : code));
    }
    return out;
  }

  private static List<Path> mainSources() throws IOException {
    List<Path> out = new ArrayList<>();
    for (String module : List.of("core", "data-pipeline", "trainer")) {
      try (Stream<Path> s = Files.walk(ROOT.resolve(module).resolve("src/main/java"))) {
        s.filter(p -> p.toString().endsWith(".java")).forEach(out::add);
      }
    }
    return out;
  }
}
