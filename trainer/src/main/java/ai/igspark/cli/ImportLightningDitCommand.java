package ai.igspark.cli;

import ai.igspark.data.format.DatasetManifest;
import ai.igspark.data.ingest.LightningDitImport;
import ai.igspark.tensorfile.DType;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.apache.hadoop.conf.Configuration;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code igspark prepare import-lightningdit}: LightningDiT's extracted VA-VAE latents. */
@Command(
    name = "import-lightningdit",
    mixinStandardHelpOptions = true,
    description = {
      "Import latents made by LightningDiT's extract_features.py: *.safetensors shards with",
      "latents, latents_flip and labels, plus latents_stats.pt (per-channel mean and std)."
    })
final class ImportLightningDitCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = "--source", required = true, paramLabel = "DIR",
      description = "Directory with the shards and latents_stats.pt.")
  Path source;

  @Option(names = "--stats", paramLabel = "FILE",
      description = "latents_stats.pt to use (default: the one in --source).")
  Path stats;

  @Option(names = "--output", required = true, paramLabel = "URI",
      description = "Dataset directory to write (local path or Hadoop URI).")
  String output;

  @Option(names = "--num-classes", defaultValue = "1000", paramLabel = "N",
      description = "Number of classes (default: ${DEFAULT-VALUE}, ImageNet; 0: largest label"
          + " + 1).")
  int numClasses;

  @Option(names = "--stored-dtype", paramLabel = "F32|F16|BF16",
      description = "Element type on disk (default: the shards' own).")
  DType storedDType;

  @Option(names = "--vae-name", defaultValue = "vavae-f16d32", paramLabel = "NAME",
      description = "VAE recorded in the manifest (default: ${DEFAULT-VALUE}).")
  String vaeName;

  @Option(names = "--force", description = "Replace an existing dataset.")
  boolean force;

  @Override
  public Integer call() {
    long t0 = System.nanoTime();
    DatasetManifest m;
    try (ProgressDisplay progress = ProgressDisplay.onStderr(spec)) {
      m = LightningDitImport.run(
          new LightningDitImport.Options(source, stats, output, numClasses, storedDType, vaeName,
              force),
          new Configuration(), progress);
    }
    spec.commandLine().getOut().printf("%s: %d latents %s with flips, %d shard(s), %.1f s%n",
        output, m.count(), m.latentShape(), m.shards().size(), (System.nanoTime() - t0) / 1e9);
    return 0;
  }
}
