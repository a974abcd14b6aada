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

  record Required(String manifest, String flip) {
    Required {
      if (manifest == null) {
        throw new InvalidInputException("missing key 'manifest'");
      }
    }
  }

  record WithRequired(Required data) {}

  @Test
  void aMisspeltRequiredKeyIsReportedAsUnknownWithTheNearestKnownKey() throws Exception {
    Path p = write("data:\n  manfest: a.json\n  flip: none\n");
    var e = assertThrows(InvalidInputException.class, () -> TypedConfig.read(p, WithRequired.class));
    assertTrue(e.getMessage().contains("unknown key 'data.manfest' (did you mean 'manifest'?)"),
        e.getMessage());
  }

  @Test
  void aKeyGivenTwiceInOneMappingIsAnErrorNamingBothLines() throws Exception {
    Path p = write("name: a\ntrain:\n  batch: 4\n  lr: 1e-4\n  batch: 8\n");
    var e = assertThrows(InvalidInputException.class, () -> TypedConfig.read(p, Run.class));
    assertTrue(e.getMessage().contains("duplicate key 'train.batch' at lines 3 and 5"),
        e.getMessage());
  }

  @Test
  void theSameKeyInTwoDifferentMappingsIsNotADuplicate() throws Exception {
    record Named(String name, Run run) {}
    Path p = write("name: a\nrun: {name: b, train: {batch: 4, lr: 1e-4, sampling: uniform}}\n");
    assertEquals("b", TypedConfig.read(p, Named.class).run().name());
  }

  @Test
  void aDuplicateKeyInJsonIsAnErrorToo() throws Exception {
    Path q = write("{\"name\": \"a\", \"name\": \"b\"}\n");
    var e = assertThrows(InvalidInputException.class, () -> TypedConfig.read(q, Run.class));
    assertTrue(e.getMessage().contains("duplicate key 'name' at lines 1 and 1"), e.getMessage());
  }
}
