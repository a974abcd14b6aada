package ai.igspark.train;

import java.io.File;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * {@code igspark ARGS} as a child JVM with this JVM's flags and class path, for tests about what a
 * user sees: the exit code and everything printed (stdout and stderr, in order).
 */
final class IgsparkProcess {
  /** What the command ended with. */
  record Result(int code, String output) {}

  private IgsparkProcess() {}

  /** Runs to the end (at most 10 minutes); the output also stays in {@code log}. */
  static Result run(Path log, String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString()));
    ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
        .filter(a -> !a.startsWith("-Xmx") && !a.startsWith("-agent") && !a.startsWith("-javaagent"))
        .forEach(cmd::add);
    cmd.addAll(List.of("-Xmx1g", "-cp", System.getProperty("java.class.path"),
        "ai.igspark.cli.Igspark"));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
        .redirectOutput(log.toFile())
        .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
        .start();
    if (!p.waitFor(10, TimeUnit.MINUTES)) {
      p.destroyForcibly();
      throw new AssertionError("igspark " + String.join(" ", args) + " still running after 10"
          + " minutes:\n" + Files.readString(log));
    }
    return new Result(p.exitValue(), Files.readString(log));
  }
}
