package ai.igspark.data.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.igspark.data.InvalidInputException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TypedConfigTest {
  enum Sampling {
    UNIFORM,
    LOGNORMAL
  }

  record Train(int batch, double lr, Sampling sampling) {
    Train {
      if (batch < 1) {
        throw new InvalidInputException("batch must be at least 1, got " + batch);
      }
    }
  }

  record Run(String name, Train train) {}

  @TempDir Path dir;

  private Path write(String yaml) throws Exception {
    Path p = dir.resolve("run.yaml");
    Files.writeString(p, yaml);
    return p;
  }

  @Test
  void readsNestedRecords() throws Exception {
    Run run = TypedConfig.read(write("name: a\ntrain: {batch: 4, lr: 1e-4, sampling: uniform}\n"), Run.class);
    assertEquals(4, run.train().batch());
    assertEquals(Sampling.UNIFORM, run.train().sampling());
  }

  @Test
  void unknownKeyIsNamedWithItsPath() throws Exception {
    Path p = write("name: a\ntrain: {batch: 4, lr: 1e-4, sampling: uniform, lrr: 3}\n");
    var e = assertThrows(InvalidInputException.class, () -> TypedConfig.read(p, Run.class));
    assertTrue(e.getMessage().contains("unknown key 'train.lrr'"), e.getMessage());
    assertTrue(e.getMessage().contains(p.toString()), e.getMessage());
  }

  @Test
  void wrongTypeNamesKeyAndExpectation() throws Exception {
    Path p = write("name: a\ntrain: {batch: many, lr: 1e-4, sampling: uniform}\n");
    var e = assertThrows(InvalidInputException.class, () -> TypedConfig.read(p, Run.class));
    assertTrue(e.getMessage().contains("'train.batch'"), e.getMessage());
    assertTrue(e.getMessage().contains("an integer"), e.getMessage());
  }

  @Test
  void outOfRangeValueFromRecordConstructorIsPrefixedWithPath() throws Exception {
    Path p = write("name: a\ntrain: {batch: 0, lr: 1e-4, sampling: uniform}\n");
    var e = assertThrows(InvalidInputException.class, () -> TypedConfig.read(p, Run.class));
    assertTrue(e.getMessage().contains("'train'"), e.getMessage());
    assertTrue(e.getMessage().contains("batch must be at least 1, got 0"), e.getMessage());
  }

  @Test
  void badEnumValueListsChoices() throws Exception {
    Path p = write("name: a\ntrain: {batch: 2, lr: 1e-4, sampling: cosine}\n");
    var e = assertThrows(InvalidInputException.class, () -> TypedConfig.read(p, Run.class));
    assertTrue(e.getMessage().contains("uniform, lognormal"), e.getMessage());
  }

  @Test
  void missingFileIsAClearError() {
    var e =
        assertThrows(
            InvalidInputException.class,
            () -> TypedConfig.read(dir.resolve("nope.yaml"), Run.class));
    assertTrue(e.getMessage().endsWith("no such file"), e.getMessage());
  }
}
