package ai.igspark.cli;

import ai.igspark.data.ingest.FashionMnistIngest;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.apache.hadoop.conf.Configuration;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code igspark prepare fashion-mnist}: the demo data set, as two pixel datasets. */
@Command(
    name = "fashion-mnist",
    mixinStandardHelpOptions = true,
    description = {
      "Convert Fashion-MNIST (Debian package dataset-fashion-mnist, installed when missing if",
      "run as root) into <output>/fashion-mnist-train and <output>/fashion-mnist-test: 32x32",
      "pixels in [-1, 1] (28x28 padded with the background), one channel, labels 0-9, F16."
    })
final class PrepareFashionMnistCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(
      names = "--source",
      paramLabel = "DIR",
      description =
          "Directory with {train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz] "
              + "(default: ${DEFAULT-VALUE} from the Debian package).",
      defaultValue = "/usr/share/datasets/fashion-mnist")
  Path source;

  @Option(
      names = "--output",
      paramLabel = "DIR",
      description = "Directory (or Hadoop URI) for the two datasets (default: ${DEFAULT-VALUE}).",
      defaultValue = "data")
  String output;

  @Option(names = "--force", description = "Replace datasets that are already prepared.")
  boolean force;

  @Override
  public Integer call() {
    var out = spec.commandLine().getOut();
    boolean debian = source.equals(FashionMnistIngest.DEBIAN_DIR);
    long t0 = System.nanoTime();
    List<FashionMnistIngest.SplitResult> results;
    try (ProgressDisplay progress = ProgressDisplay.onStderr(spec)) {
      results =
          new FashionMnistIngest(debian ? null : source, output, force, new Configuration(),
                  progress)
              .run();
    }
    for (FashionMnistIngest.SplitResult r : results) {
      if (r.kept()) {
        out.println(r.dirUri() + ": already prepared, kept (--force to redo)");
      } else {
        out.printf(
            "%s: %d samples, %d shard(s), %.1f s%n",
            r.dirUri(), r.manifest().count(), r.manifest().shards().size(), r.nanos() / 1e9);
      }
    }
    out.printf("fashion-mnist: done in %.1f s%n", (System.nanoTime() - t0) / 1e9);
    return 0;
  }
}
