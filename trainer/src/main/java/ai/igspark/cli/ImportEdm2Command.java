package ai.igspark.cli;

import ai.igspark.data.format.DatasetManifest;
import ai.igspark.data.ingest.Edm2Import;
import ai.igspark.tensorfile.DType;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.apache.hadoop.conf.Configuration;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code igspark prepare import-edm2}: REPA/EDM2 SD-VAE posteriors (vae-sd folder). */
@Command(
    name = "import-edm2",
    mixinStandardHelpOptions = true,
    description = {
      "Import SD-VAE posteriors made by REPA's preprocessing/dataset_tools.py encode: a vae-sd",
      "folder of [8,32,32] .npy files (4 mean + 4 std channels) and its dataset.json labels.",
      "The dataset stores the moments; training draws z = (mean + std*eps) * 0.18215."
    })
final class ImportEdm2Command implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = "--source", required = true, paramLabel = "DIR",
      description = "The vae-sd folder, or the folder containing it.")
  Path source;

  @Option(names = "--output", required = true, paramLabel = "URI",
      description = "Dataset directory to write (local path or Hadoop URI).")
  String output;

  @Option(names = "--num-classes", defaultValue = "1000", paramLabel = "N",
      description = "Number of classes (default: ${DEFAULT-VALUE}, ImageNet; 0: largest label"
          + " + 1).")
  int numClasses;

  @Option(names = "--stored-dtype", defaultValue = "F32", paramLabel = "F32|F16|BF16",
      description = "Element type on disk (default: ${DEFAULT-VALUE}, as upstream).")
  DType storedDType;

  @Option(names = "--vae-name", defaultValue = "sd-vae-ft-mse", paramLabel = "NAME",
      description = "VAE recorded in the manifest (default: ${DEFAULT-VALUE}).")
  String vaeName;

  @Option(names = "--force", description = "Replace an existing dataset.")
  boolean force;

  @Override
  public Integer call() {
    long t0 = System.nanoTime();
    DatasetManifest m;
    try (ProgressDisplay progress = ProgressDisplay.onStderr(spec)) {
      m = Edm2Import.run(
          new Edm2Import.Options(source, output, numClasses, storedDType, vaeName, force),
          new Configuration(), progress);
    }
    spec.commandLine().getOut().printf("%s: %d posteriors %s (moments), %d shard(s), %.1f s%n",
        output, m.count(), m.latentShape(), m.shards().size(), (System.nanoTime() - t0) / 1e9);
    return 0;
  }
}
