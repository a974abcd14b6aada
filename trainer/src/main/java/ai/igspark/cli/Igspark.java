package ai.igspark.cli;

import ai.igspark.data.InvalidInputException;
import ai.igspark.data.LoopbackOnly;
import ai.igspark.train.TrainDriver;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine;

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
      ConfigCommand.class,
    })
public final class Igspark {
  /** Exit codes, as the README's table lists them. */
  static final int EXIT_BUG = 1;
  static final int EXIT_INPUT = 2;
  static final int EXIT_TRAINING_STOPPED = 3;
  static final int EXIT_PREEMPTED = 5;

  @Option(
      names = "--verbose",
      scope = ScopeType.INHERIT,
      description = "On failure, print the stack trace as well as the message.")
  boolean verbose;

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
   * Bad input is the user's to fix: one line saying what was wrong and where (the stack trace only
   * with --verbose). Any other failure is a bug: print everything.
   */
  private static int reportFailure(Exception e, CommandLine cli, CommandLine.ParseResult parsed) {
    boolean verbose = parsed.asCommandLineList().stream()
        .anyMatch(c -> c.getParseResult().hasMatchedOption("--verbose"));
    Throwable cause = e;
    while (cause != null && !(cause instanceof InvalidInputException)) {
      cause = cause.getCause();
    }
    int code;
    if (cause != null) {
      cli.getErr().println("igspark: error: " + cause.getMessage());
      code = EXIT_INPUT;
    } else if (e instanceof TrainDriver.TrainingFailedException) {
      // The message says what happened and how to resume; the cause is in the log above.
      cli.getErr().println("igspark: training stopped: " + e.getMessage());
      code = EXIT_TRAINING_STOPPED;
    } else {
      cli.getErr().println("igspark: failed: " + e);
      verbose = true;
      code = EXIT_BUG;
    }
    if (verbose) {
      e.printStackTrace(cli.getErr());
    }
    return code;
  }

  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = Igspark.class.getPackage().getImplementationVersion();
      return new String[] {"igspark " + (v == null ? "development build" : v)};
    }
  }
}
