package ai.igspark.cli;

import picocli.CommandLine.Command;

/** {@code igspark prepare}: ingest or import a dataset into igspark's latent format. */
@Command(
    name = "prepare",
    mixinStandardHelpOptions = true,
    description = "Ingest or import a dataset into igspark's latent format (dataset.json + shards).",
    subcommands = {
      PrepareFashionMnistCommand.class,
      PrepareFmnistClassifierCommand.class,
      PrepareImageFolderCommand.class,
      ImportLightningDitCommand.class,
      ImportEdm2Command.class
    })
final class PrepareCommand implements Runnable {
  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }
}
