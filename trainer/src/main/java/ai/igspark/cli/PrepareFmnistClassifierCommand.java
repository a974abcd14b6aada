package ai.igspark.cli;

import ai.igspark.data.InvalidInputException;
import ai.igspark.eval.fmnist.FmnistClassifier;
import ai.igspark.eval.fmnist.FmnistImages;
import ai.igspark.eval.fmnist.FmnistTraining;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.apache.hadoop.conf.Configuration;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code igspark prepare fmnist-classifier}: trains the frozen Fashion-MNIST classifier whose
 * penultimate features give FD-FMNIST and whose softmax gives the classifier score.
 */
@Command(
    name = "fmnist-classifier",
    mixinStandardHelpOptions = true,
    description = {
      "Train the small Fashion-MNIST CNN (fmnist-cnn-v1) on <data>/fashion-mnist-train, measure",
      "its accuracy on <data>/fashion-mnist-test and write it, frozen, as a safetensors file with",
      "its provenance. Prints the file's SHA-256, the extractor identity of FD-FMNIST numbers.",
      "The project ships one (trainer/src/main/resources/ai/igspark/eval/fmnist/); evaluations",
      "use that one unless told otherwise."
    })
final class PrepareFmnistClassifierCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(
      names = "--data",
      paramLabel = "DIR",
      description = "Directory (or Hadoop URI) holding the two datasets of "
          + "'igspark prepare fashion-mnist' (default: ${DEFAULT-VALUE}).",
      defaultValue = "data")
  String data;

  @Option(
      names = "--output",
      paramLabel = "FILE",
      description = "Classifier file to write (default: ${DEFAULT-VALUE}).",
      defaultValue = "models/fmnist-cnn-v1.safetensors")
  Path output;

  @Option(names = "--seed", description = "Training seed (default: ${DEFAULT-VALUE}).",
      defaultValue = "0")
  long seed;

  @Option(names = "--epochs", description = "Epochs (default: ${DEFAULT-VALUE}).",
      defaultValue = "5")
  int epochs;

  @Option(
      names = "--train-images",
      paramLabel = "N",
      description = "Train on the first N training images only, for quick checks "
          + "(default: all; recorded in the file).")
  Integer trainImages;

  @Override
  public Integer call() {
    var out = spec.commandLine().getOut();
    var err = spec.commandLine().getErr();
    String dir = data.endsWith("/") ? data : data + "/";
    Configuration conf = new Configuration();
    long t0 = System.nanoTime();
    FmnistImages train = FmnistImages.load(dir + "fashion-mnist-train", conf);
    if (trainImages != null) {
      if (trainImages <= 0) {
        throw new InvalidInputException("--train-images must be positive, got " + trainImages);
      }
      train = train.first(trainImages);
    }
    FmnistImages test = FmnistImages.load(dir + "fashion-mnist-test", conf);
    out.printf("loaded %d training and %d test images in %.1f s%n", train.count(), test.count(),
        (System.nanoTime() - t0) / 1e9);
    FmnistTraining.Config defaults = FmnistTraining.Config.defaults();
    FmnistTraining.Config config =
        new FmnistTraining.Config(seed, epochs, defaults.batchSize(), defaults.learningRate());
    FmnistTraining.Result r = FmnistTraining.train(train, test, config, err::println);
    FmnistClassifier c = r.classifier();
    String sha = c.save(output);
    out.printf("trained %s in %.1f s (seed %d, %d epochs): test accuracy %.4f%n",
        c.provenance().architecture(), r.trainSeconds(), seed, epochs,
        c.provenance().testAccuracy());
    out.println(output + ": sha256 " + sha);
    return 0;
  }
}
