package ai.igspark.cli;

import ai.igspark.data.InvalidInputException;
import ai.igspark.data.LoopbackOnly;
import ai.igspark.train.TrainDriver;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code igspark} command line. Each subcommand is a small class of its own. */
@Command(
    name = "igspark",
    mixinStandardHelpOptions = true,
    versionProvider = Igspark.Version.class,
    description = {
      "Train, sample and evaluate class-conditional latent diffusion transformers with",
      "Internal Guidance (IG) on Apache Spark."
    },
    subcommands = {
      PrepareCommand.class,
      ModelInfoCommand.class,
      ClusterCheckCommand.class,
      GpuCheckCommand.class,
      TrainCommand.class,
      SampleCommand.class,
      EvaluateCommand.class,
      ExportCommand.class,
      DemoCommand.class,
      BenchCommand.class,
    })
public final class Igspark {

  public static void main(String[] args) {
    System.exit(run(args));
  }

  /** Runs the command line and returns the exit code (used by tests, which must not exit). */
  public static int run(String... args) {
    LoopbackOnly.apply();
    return commandLine().execute(args);
  }

  static CommandLine commandLine() {
    CommandLine cli = new CommandLine(new Igspark());
    cli.setExecutionExceptionHandler(Igspark::reportFailure);
    return cli;
  }

  /**
   * Bad input is the user's to fix: print what was wrong and where, without a stack trace. Any
   * other failure is a bug or an environment problem: print everything.
   */
  private static int reportFailure(Exception e, CommandLine cli, CommandLine.ParseResult parsed) {
    Throwable cause = e;
    while (cause != null && !(cause instanceof InvalidInputException)) {
      cause = cause.getCause();
    }
    if (cause != null) {
      cli.getErr().println("igspark: error: " + cause.getMessage());
      return 2;
    }
    if (e instanceof TrainDriver.TrainingFailedException) {
      // The message says what happened and how to resume; the cause is in the log above.
      cli.getErr().println("igspark: training stopped: " + e.getMessage());
      return 3;
    }
    cli.getErr().println("igspark: failed: " + e);
    e.printStackTrace(cli.getErr());
    return 1;
  }

  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = Igspark.class.getPackage().getImplementationVersion();
      return new String[] {"igspark " + (v == null ? "development build" : v)};
    }
  }
}
