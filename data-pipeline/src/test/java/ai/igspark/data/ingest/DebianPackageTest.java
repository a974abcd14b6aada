package ai.igspark.data.ingest;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.igspark.data.InvalidInputException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DebianPackageTest {
  @TempDir Path tmp;

  @Test
  void presentFileNeedsNothing() {
    DebianPackage.ensure("no-such-package-needed", tmp, Progress.SILENT);
  }

  @Test
  void withoutRootTheMessageSaysWhatToInstall() {
    String user = System.getProperty("user.name");
    System.setProperty("user.name", "not-root-for-this-test");
    try {
      Path missing = tmp.resolve("absent/file.gz");
      InvalidInputException e = assertThrows(InvalidInputException.class,
          () -> DebianPackage.ensure("dataset-example", missing, Progress.SILENT));
      assertTrue(e.getMessage().contains(missing.toString()), e.getMessage());
      assertTrue(e.getMessage().contains("apt-get install dataset-example"), e.getMessage());
    } finally {
      System.setProperty("user.name", user);
    }
  }
}
