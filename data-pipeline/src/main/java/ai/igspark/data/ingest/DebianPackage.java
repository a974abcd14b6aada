package ai.igspark.data.ingest;

import ai.igspark.data.InvalidInputException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Installs a Debian package that provides input data (e.g. dataset-fashion-mnist), when that is
 * allowed: as root with apt-get present. Otherwise it says exactly what to run.
 */
public final class DebianPackage {
  private DebianPackage() {}

  /**
   * Makes sure {@code expected} exists, installing {@code pkg} if it does not and this process
   * may; reports what it does through {@code progress}.
   */
  public static void ensure(String pkg, Path expected, Progress progress) {
    if (Files.exists(expected)) {
      return;
    }
    Path aptGet = Path.of("/usr/bin/apt-get");
    boolean root = "root".equals(System.getProperty("user.name"));
    if (!root || !Files.isExecutable(aptGet)) {
      throw new InvalidInputException(
          expected + " not found: install the Debian package " + pkg + " (sudo apt-get install "
              + pkg + "), or pass --source DIR with the files");
    }
    progress.note("installing the Debian package " + pkg + " (apt-get install -y " + pkg + ")");
    if (run(List.of(aptGet.toString(), "install", "-y", "-q", pkg)) != 0) {
      progress.note("apt-get install failed; running apt-get update first");
      run(List.of(aptGet.toString(), "update", "-q"));
      if (run(List.of(aptGet.toString(), "install", "-y", "-q", pkg)) != 0) {
        throw new InvalidInputException(
            "could not install the Debian package " + pkg + " (apt-get install -y " + pkg
                + " failed; see its output above); install it yourself or pass --source DIR");
      }
    }
    if (!Files.exists(expected)) {
      throw new InvalidInputException(
          "the Debian package " + pkg + " was installed but " + expected + " is still missing");
    }
  }

  private static int run(List<String> command) {
    List<String> cmd = new ArrayList<>(command);
    ProcessBuilder pb = new ProcessBuilder(cmd).inheritIO();
    pb.environment().put("DEBIAN_FRONTEND", "noninteractive");
    try {
      return pb.start().waitFor();
    } catch (IOException e) {
      return 127;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return 130;
    }
  }
}
