package ai.igspark.cli;

import java.io.PrintWriter;
import java.io.StringWriter;
import picocli.CommandLine;

/**
 * Runs the igspark command line in-process and captures its exit code, stdout and stderr (every
 * command prints through its command line's writers).
 */
public record CliRun(int code, String out, String err) {
  public static CliRun of(String... args) {
    CommandLine cli = Igspark.commandLine();
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    cli.setOut(new PrintWriter(out));
    cli.setErr(new PrintWriter(err));
    int code = cli.execute(args);
    return new CliRun(code, out.toString(), err.toString());
  }
}
