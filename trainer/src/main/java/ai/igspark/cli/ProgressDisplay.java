package ai.igspark.cli;

import ai.igspark.data.ingest.Progress;
import java.io.PrintStream;
import java.time.Duration;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import picocli.CommandLine.Model.CommandSpec;

/**
 * Shows ingestion progress on the command's error writer: a progress bar on a terminal, one line
 * per phase otherwise (logs and CI would fill with redrawn bars).
 */
final class ProgressDisplay implements Progress, AutoCloseable {
  private final PrintStream err;
  private final boolean terminal;
  private ProgressBar bar;
  private String phase;
  private long phaseStart;

  ProgressDisplay(PrintStream err, boolean terminal) {
    this.err = err;
    this.terminal = terminal;
  }

  /** On the command line's error writer, with a bar when a console is attached. */
  static ProgressDisplay onStderr(CommandSpec spec) {
    return new ProgressDisplay(
        CommandOutput.stream(spec.commandLine().getErr()), System.console() != null);
  }

  @Override
  public void begin(String phase, long total) {
    end();
    this.phase = phase;
    this.phaseStart = System.nanoTime();
    if (terminal) {
      bar =
          new ProgressBarBuilder()
              .setTaskName(phase)
              .setInitialMax(total)
              .setStyle(ProgressBarStyle.ASCII)
              .setUpdateIntervalMillis(200)
              .setConsumer(new ConsoleProgressBarConsumer(err))
              .showSpeed()
              .build();
    } else {
      err.println(phase + ": " + (total >= 0 ? total + " items" : "started"));
    }
  }

  @Override
  public void advance(long units) {
    if (bar != null) {
      bar.stepBy(units);
    }
  }

  @Override
  public void end() {
    if (phase == null) {
      return;
    }
    if (bar != null) {
      bar.close();
      bar = null;
    } else {
      Duration d = Duration.ofNanos(System.nanoTime() - phaseStart);
      err.printf("%s: done in %.1f s%n", phase, d.toMillis() / 1000.0);
    }
    phase = null;
  }

  @Override
  public void note(String message) {
    if (bar != null) {
      err.print("\r\033[K"); // clear the bar's line; it redraws on its next update
    }
    err.println(message);
  }

  @Override
  public void close() {
    end();
  }
}
