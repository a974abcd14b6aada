package ai.igspark.testsupport;

import java.io.File;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The igspark command line as a child JVM ({@code java <this JVM's flags> -cp <this class path>
 * ai.igspark.cli.Igspark ...}), for tests about exit codes, messages and signals: what a user's
 * shell sees, System.exit included.
 */
public final class IgsparkProcess {
  private IgsparkProcess() {}

  /** A finished run: its exit code and everything it printed (stdout and stderr interleaved). */
  public record Result(int code, String output) {}

  /** Starts {@code igspark ARGS}, appending its output to {@code log}. */
  public static Process start(Path log, String... args) throws IOException {
    return start(log, List.of(), args);
  }

  /** As {@link #start(Path, String...)}, with {@code jvmFlags} (e.g. {@code -Dkey=value}) added. */
  public static Process start(Path log, List<String> jvmFlags, String... args)
      throws IOException {
    return start(log, command(jvmFlags, args));
  }

  /**
   * As {@link #start(Path, String...)}, with SIGINT and SIGQUIT at their defaults, as in a
   * terminal's foreground job. A shell without job control starts background commands with
   * both ignored, children inherit that, and a JVM leaves an ignored SIGINT ignored: so a test
   * run in the background could not deliver a Ctrl-C.
   */
  public static Process startAsTerminalJob(Path log, String... args) throws IOException {
    List<String> cmd = new ArrayList<>(List.of("/usr/bin/python3", "-c",
        "import os, signal, sys\n"
            + "signal.signal(signal.SIGINT, signal.SIG_DFL)\n"
            + "signal.signal(signal.SIGQUIT, signal.SIG_DFL)\n"
            + "os.execv(sys.argv[1], sys.argv[1:])"));
    cmd.addAll(command(List.of(), args));
    return start(log, cmd);
  }

  private static Process start(Path log, List<String> cmd) throws IOException {
    return new ProcessBuilder(cmd).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
        .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
        .start();
  }

  private static List<String> command(List<String> jvmFlags, String... args) {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    for (String arg : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
      if (!arg.startsWith("-Xmx") && !arg.startsWith("-agent") && !arg.startsWith("-javaagent")) {
        cmd.add(arg);
      }
    }
    cmd.add("-Xmx1g");
    cmd.addAll(jvmFlags);
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add("ai.igspark.cli.Igspark");
    cmd.addAll(List.of(args));
    return cmd;
  }

  /** Runs {@code igspark ARGS} to the end (killed, and an AssertionError, after {@code limit}). */
  public static Result run(Path workDir, Duration limit, String... args)
      throws IOException, InterruptedException {
    Path log = Files.createTempFile(workDir, "igspark-", ".log");
    Process p = start(log, args);
    if (!p.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS)) {
      p.destroyForcibly().waitFor();
      throw new AssertionError("igspark " + String.join(" ", args) + " ran past " + limit
          + "; output:\n" + Files.readString(log));
    }
    return new Result(p.exitValue(), Files.readString(log));
  }
}
