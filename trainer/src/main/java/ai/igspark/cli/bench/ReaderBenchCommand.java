package ai.igspark.cli.bench;

import ai.igspark.data.bench.ReaderBenchmark;
import ai.igspark.tensorfile.DType;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code igspark bench reader}: random-batch throughput of the latent dataset reader on one core,
 * on a synthetic dataset written to a temporary directory (docs/benchmarks/reader.md).
 */
@Command(
    name = "reader",
    mixinStandardHelpOptions = true,
    description = {
      "Measure random-batch reader throughput (samples/s, one core) on a synthetic latent",
      "dataset written to a temporary directory. Defaults: SD-VAE latents 4x32x32 stored as",
      "F16, batch 256, 50,000 samples (about 410 MB of shards)."
    })
public final class ReaderBenchCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = "--samples", description = "Dataset size (default: ${DEFAULT-VALUE}).")
  int samples = 50_000;

  @Option(names = "--batch", description = "Samples per batch (default: ${DEFAULT-VALUE}).")
  int batch = 256;

  @Option(names = "--shape", split = ",", description = "Latent C,H,W (default: 4,32,32).")
  int[] shape = {4, 32, 32};

  @Option(names = "--dtype", description = "Stored dtype: F32, F16 or BF16 (default: "
      + "${DEFAULT-VALUE}).")
  DType dtype = DType.F16;

  @Option(names = "--seconds", description = "Measuring time per variant (default: "
      + "${DEFAULT-VALUE}).")
  double seconds = 5.0;

  @Option(names = "--reader-only", description = "Skip the measurement with DJL NDArrays.")
  boolean readerOnly;

  @Option(names = "--work-dir", description = "Where the temporary dataset is written "
      + "(default: java.io.tmpdir).")
  Path workDir = Path.of(System.getProperty("java.io.tmpdir"));

  @Override
  public Integer call() {
    if (shape.length != 3 || samples <= 0 || batch <= 0 || seconds <= 0
        || (dtype != DType.F32 && dtype != DType.F16 && dtype != DType.BF16)) {
      throw new picocli.CommandLine.ParameterException(spec.commandLine(),
          "need --shape C,H,W, positive --samples/--batch/--seconds and --dtype F32|F16|BF16");
    }
    ReaderBenchmark.Settings s = new ReaderBenchmark.Settings(samples, shape[0], shape[1],
        shape[2], dtype, batch, seconds, !readerOnly, workDir);
    spec.commandLine().getOut().println(ReaderBenchmark.run(s).summary());
    return 0;
  }
}
