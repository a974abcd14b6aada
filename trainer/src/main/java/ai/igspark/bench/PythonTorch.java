package ai.igspark.bench;

import ai.igspark.data.InvalidInputException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Debian's Python with torch, running the PyTorch side of {@code igspark bench step}
 * (step_torch.py and ig_reference.py, extracted from the class path into a work directory).
 */
final class PythonTorch {
  static final String DEBIAN_PACKAGE = "python3-torch";
  private static final String[] SCRIPTS = {"step_torch.py", "ig_reference.py"};
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Path python;
  private final Path script;

  private PythonTorch(Path python, Path script) {
    this.python = python;
    this.script = script;
  }

  /** Checks that {@code python} imports torch and extracts the scripts into {@code workDir}. */
  static PythonTorch at(Path python, Path workDir) throws IOException, InterruptedException {
    String missing =
        python + " with torch is needed (Debian: apt-get install " + DEBIAN_PACKAGE
            + ", which provides /usr/bin/python3 with torch 1.13)";
    if (!Files.isExecutable(python)) {
      throw new InvalidInputException("--python " + python + ": not found; " + missing);
    }
    Process p = new ProcessBuilder(python.toString(), "-c", "import torch")
        .redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (p.waitFor() != 0) {
      throw new InvalidInputException(
          "--python " + python + ": cannot import torch (" + out.strip() + "); " + missing);
    }
    for (String name : SCRIPTS) {
      try (InputStream in = PythonTorch.class.getResourceAsStream(name)) {
        if (in == null) {
          throw new IllegalStateException(name + " is missing from the class path");
        }
        Files.copy(in, workDir.resolve(name), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      }
    }
    return new PythonTorch(python, workDir.resolve(SCRIPTS[0]));
  }

  /** Traces ig_reference.IgNet with {@code weights} to TorchScript at {@code out}. */
  void trace(Path weights, Path out, int batch) throws IOException, InterruptedException {
    run(1,
        List.of("trace", weights.toString(), out.toString(), "--batch", Integer.toString(batch)));
  }

  /** Times eager training steps; the result's {@code config} is torch.__config__.show(). */
  JsonNode eager(Path weights, int batch, int threads, int warmup, int reps)
      throws IOException, InterruptedException {
    return run(
        threads,
        List.of("eager", weights.toString(), "--batch", Integer.toString(batch),
            "--threads", Integer.toString(threads), "--warmup", Integer.toString(warmup),
            "--reps", Integer.toString(reps)));
  }

  private JsonNode run(int threads, List<String> args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of(python.toString(), script.toString()));
    cmd.addAll(args);
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT);
    // torch.set_num_threads sizes torch's OpenMP pool, but Debian's generic BLAS is OpenBLAS
    // (pthreads) here, which sizes its own pool from the environment when it loads.
    String n = Integer.toString(threads);
    pb.environment().put("OMP_NUM_THREADS", n);
    pb.environment().put("OPENBLAS_NUM_THREADS", n);
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    int rc = p.waitFor();
    if (rc != 0) {
      throw new IllegalStateException(String.join(" ", cmd) + " exited with " + rc + ": " + out);
    }
    String[] lines = out.strip().split("\n");
    return JSON.readTree(lines[lines.length - 1]);
  }
}
