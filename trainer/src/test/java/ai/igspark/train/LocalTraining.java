package ai.igspark.train;

import ai.igspark.config.RunConfig;
import ai.igspark.spark.SparkContexts;
import ai.igspark.testsupport.LocalSpark;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Set;
import java.util.stream.Stream;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A test class's Spark context in local[1] ({@link LocalSpark} with igspark's own settings: Kryo
 * with its registrator) and the tiny dataset its runs train on ({@link TinyRun#dataset}), started
 * before the class's own {@code @BeforeAll} methods and stopped after it, warm cache cleared.
 * Register with {@code @RegisterExtension static final}.
 */
final class LocalTraining implements BeforeAllCallback, AfterAllCallback {
  private final LocalSpark spark =
      LocalSpark.threads(1).basedOn(() -> SparkContexts.builder().conf());
  private Path shared;
  private String manifest;

  @Override
  public void beforeAll(ExtensionContext context) throws IOException {
    shared = Files.createTempDirectory("igspark-local-training");
    spark.beforeAll(context);
    manifest = TinyRun.dataset(shared);
  }

  @Override
  public void afterAll(ExtensionContext context) throws IOException {
    WarmCache.clear();
    spark.afterAll(context);
    try (Stream<Path> files = Files.walk(shared)) {
      for (Path p : (Iterable<Path>) files.sorted(Comparator.reverseOrder())::iterator) {
        Files.delete(p);
      }
    }
  }

  JavaSparkContext sc() {
    return spark.sc();
  }

  /** The tiny dataset's manifest URI. */
  String manifest() {
    return manifest;
  }

  /** A folder kept for the whole class (the dataset lives in it). */
  Path shared() {
    return shared;
  }

  /** {@code igspark train} of {@code config} in this context, console output discarded. */
  TrainDriver.Outcome train(Path config, Set<String> allowed) throws Exception {
    return new TrainDriver(RunConfig.load(config), config.toString(), allowed,
        new PrintStream(new ByteArrayOutputStream())).run(spark.sc(), false);
  }
}
