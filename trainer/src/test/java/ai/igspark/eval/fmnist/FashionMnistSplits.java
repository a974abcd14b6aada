package ai.igspark.eval.fmnist;

import ai.igspark.data.ingest.FashionMnistIngest;
import ai.igspark.data.ingest.Progress;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;

/**
 * The real Fashion-MNIST splits, ingested once per test JVM from Debian's dataset-fashion-mnist
 * (bin/lib/install-test-packages.sh installs it) exactly as {@code igspark prepare fashion-mnist}
 * does, into a temporary directory removed at exit.
 */
final class FashionMnistSplits {
  private static Path dataDir;
  private static FmnistImages train;
  private static FmnistImages test;

  private FashionMnistSplits() {}

  /** The directory holding fashion-mnist-train and fashion-mnist-test. */
  static synchronized Path dataDir() {
    if (dataDir == null) {
      try {
        Path dir = Files.createTempDirectory("fmnist-splits");
        Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteTree(dir)));
        new FashionMnistIngest(null, dir.toString(), false, new Configuration(), Progress.SILENT)
            .run();
        dataDir = dir;
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return dataDir;
  }

  static synchronized FmnistImages train() {
    if (train == null) {
      train = FmnistImages.load(dataDir().resolve("fashion-mnist-train").toString(),
          new Configuration());
    }
    return train;
  }

  static synchronized FmnistImages test() {
    if (test == null) {
      test = FmnistImages.load(dataDir().resolve("fashion-mnist-test").toString(),
          new Configuration());
    }
    return test;
  }

  private static void deleteTree(Path dir) {
    try (Stream<Path> paths = Files.walk(dir)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // best effort at exit
    }
  }
}
