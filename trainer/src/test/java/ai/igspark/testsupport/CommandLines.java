package ai.igspark.testsupport;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Another process's whole command line. {@code ProcessHandle.Info#commandLine()} reads only the
 * first 4096 bytes of {@code /proc/<pid>/cmdline} on Linux, so for a JVM with a long class path
 * (a Spark executor) it loses the arguments that name the application.
 */
public final class CommandLines {
  private CommandLines() {}

  /** The command line of {@code p}, arguments joined by spaces; empty if it cannot be read. */
  public static Optional<String> of(ProcessHandle p) {
    try {
      byte[] raw = Files.readAllBytes(Path.of("/proc", Long.toString(p.pid()), "cmdline"));
      String joined = new String(raw, StandardCharsets.UTF_8).replace('\0', ' ').strip();
      return joined.isEmpty() ? Optional.empty() : Optional.of(joined);
    } catch (IOException | SecurityException e) {
      return p.info().commandLine(); // not Linux, or the process is gone
    }
  }
}
