package ai.igspark.notebooks;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The notebooks on a written run ({@link SyntheticRun}) that holds what a short real run rarely
 * does: a retry, a cut line, a resumed session writing a metrics part, steps logged twice.
 */
class NotebooksTest extends NotebookChecks {
  @Override
  void produceRunDirectory(Path dir) throws Exception {
    SyntheticRun.write(dir, repo);
  }

  @Test
  void moduleUnitTestsPass() throws Exception {
    Result r = run(List.of(python(), "-m", "unittest", "-v", "test_igspark_run"),
        repo.resolve("notebooks"), 120);
    assertEquals(0, r.exit(), "python -m unittest test_igspark_run failed:\n" + r.output());
  }
}
