package ai.igspark.cli;

import ai.igspark.data.InvalidInputException;
import ai.igspark.data.format.Normalization;
import ai.igspark.data.ingest.ImageFolderIngestJob;
import ai.igspark.spark.StageProfiles;
import ai.igspark.tensorfile.DType;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.resource.ResourceProfile;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code igspark prepare imagefolder}: class folders → latents through a TorchScript VAE. */
@Command(
    name = "imagefolder",
    mixinStandardHelpOptions = true,
    description = {
      "Encode an ImageNet-style folder (one sub-folder per class, sorted names give label ids)",
      "into a latent dataset, as a Spark job: ADM center crop, pixels to [-1, 1], your",
      "TorchScript VAE encoder (float NCHW in, latents [N,C,H,W] out). Runs on Spark local mode",
      "unless spark.master is set (igspark-submit). Undecodable files are skipped and listed in",
      "skipped.txt."
    })
final class PrepareImageFolderCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = "--source", required = true, paramLabel = "URI",
      description = "Root of the class folders (local path or Hadoop URI).")
  String source;

  @Option(names = "--output", required = true, paramLabel = "URI",
      description = "Dataset directory to write (local path or Hadoop URI).")
  String output;

  @Option(names = "--vae", required = true, paramLabel = "FILE",
      description = "TorchScript VAE encoder saved with torch.jit.save.")
  Path vae;

  @Option(names = "--vae-name", paramLabel = "NAME",
      description = "Name recorded in the manifest (default: the file name without .pt).")
  String vaeName;

  @Option(names = "--latent-shape", required = true, paramLabel = "C,H,W",
      description = "Shape of one latent the encoder must produce, e.g. 4,32,32.")
  String latentShape;

  @Option(names = "--resolution", defaultValue = "256", paramLabel = "N",
      description = "Side of the center crop (default: ${DEFAULT-VALUE}).")
  int resolution;

  @Option(names = "--flip",
      description = "Also encode each crop's horizontal flip (latents_flip, LightningDiT style).")
  boolean flip;

  @Option(names = "--scale", defaultValue = "0.18215", paramLabel = "S",
      description = "Latent scale recorded for training, x = z*S + B (default: ${DEFAULT-VALUE},"
          + " SD-VAE).")
  float scale;

  @Option(names = "--bias", defaultValue = "0", paramLabel = "B",
      description = "Latent bias recorded for training (default: ${DEFAULT-VALUE}).")
  float bias;

  @Option(names = "--stored-dtype", defaultValue = "F32", paramLabel = "F32|F16|BF16",
      description = "Element type on disk (default: ${DEFAULT-VALUE}).")
  DType storedDType;

  @Option(names = "--tasks", defaultValue = "0", paramLabel = "N",
      description = "Spark tasks (default: 4 per core/slot).")
  int tasks;

  @Option(names = "--batch-size", defaultValue = "16", paramLabel = "N",
      description = "Images per VAE call (default: ${DEFAULT-VALUE}).")
  int batchSize;

  @Option(names = "--shard-mb", defaultValue = "256", paramLabel = "MB",
      description = "Approximate shard size (default: ${DEFAULT-VALUE}).")
  long shardMb;

  @Option(names = "--force", description = "Replace an existing dataset.")
  boolean force;

  @Override
  public Integer call() {
    int[] shape = parseShape(latentShape);
    String name = vaeName != null ? vaeName
        : vae.getFileName().toString().replaceFirst("\\.pt$", "");
    ImageFolderIngestJob.Options o =
        new ImageFolderIngestJob.Options(source, output, vae, name, shape, resolution, flip,
            storedDType, Normalization.scalar(scale, bias), tasks, Math.max(1, batchSize),
            shardMb << 20, force);
    SparkConf conf = new SparkConf().setAppName("igspark prepare imagefolder");
    if (!conf.contains("spark.master")) {
      conf.setMaster("local[*]");
    }
    conf.setIfMissing("spark.ui.enabled", "false");
    if (conf.get("spark.master").startsWith("local")
        && System.getProperty("ai.djl.pytorch.num_threads") == null) {
      // Local mode already runs one task per core; more libtorch threads per task would
      // oversubscribe the cores (docs/PLATFORM.md §1: about 5x slower).
      System.setProperty("ai.djl.pytorch.num_threads", "1");
      System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
    }
    long t0 = System.nanoTime();
    ImageFolderIngestJob.Result r;
    try (JavaSparkContext sc = new JavaSparkContext(conf);
        ProgressDisplay progress = ProgressDisplay.onStderr(spec)) {
      // The encoder runs on the CPU (TorchScriptVae), so its tasks hold no GPU.
      Optional<ResourceProfile> profile = StageProfiles.of(sc).ingestion(false);
      r = ImageFolderIngestJob.run(sc, o, new Configuration(), progress,
          profile.isEmpty() ? null : StageProfiles.registered(sc, profile));
    }
    spec.commandLine().getOut().printf(
        "%s: %d latents %s, %d classes, %d shard(s), %d file(s) skipped%s, %.1f s%n",
        output, r.manifest().count(), r.manifest().latentShape(), r.classes().size(),
        r.manifest().shards().size(), r.skipped(),
        r.skipped() > 0 ? " (see skipped.txt)" : "", (System.nanoTime() - t0) / 1e9);
    return 0;
  }

  static int[] parseShape(String text) {
    String[] parts = text.split(",");
    if (parts.length != 3) {
      throw new InvalidInputException(
          "--latent-shape " + text + ": expected C,H,W (three positive integers)");
    }
    int[] shape = new int[3];
    for (int i = 0; i < 3; i++) {
      try {
        shape[i] = Integer.parseInt(parts[i].trim());
      } catch (NumberFormatException e) {
        shape[i] = -1;
      }
      if (shape[i] <= 0) {
        throw new InvalidInputException(
            "--latent-shape " + text + ": expected C,H,W (three positive integers)");
      }
    }
    return shape;
  }
}
