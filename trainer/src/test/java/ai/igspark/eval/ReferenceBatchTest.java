package ai.igspark.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.igspark.data.InvalidInputException;
import ai.igspark.tensorfile.HostTensor;
import ai.igspark.tensorfile.Npz;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReferenceBatchTest {
  private static TorchScriptInception inception;

  @BeforeAll
  static void load() {
    inception = TorchScriptInception.load(StandIn.file("standin.pt"));
  }

  @AfterAll
  static void close() {
    inception.close();
  }

  @Test
  void imagesWithoutStatisticsGoThroughTheInception() {
    EvaluationSide side = ReferenceBatch.load(StandIn.file("reference.npz"), inception);
    assertEquals(48, side.count());
    assertEquals(TorchScriptInception.POOL_DIM, side.pool().dim());
    assertEquals(TorchScriptInception.SPATIAL_DIM, side.spatial().dim());
  }

  @Test
  void statisticsOfAnotherWidthAreRejectedNamingTheFile(@TempDir Path dir) {
    Path file = dir.resolve("ref64.npz");
    double[] eye = new double[64 * 64];
    for (int i = 0; i < 64; i++) {
      eye[i * 65] = 1;
    }
    Npz.write(file, Map.of(
        "mu", HostTensor.ofDoubles(new long[] {64}, new double[64]),
        "sigma", HostTensor.ofDoubles(new long[] {64, 64}, eye)));
    var e =
        assertThrows(InvalidInputException.class, () -> ReferenceBatch.load(file, inception));
    assertTrue(e.getMessage().startsWith(file + ": mu/sigma are 64-dimensional"), e.getMessage());
    assertTrue(e.getMessage().contains("2048-dimensional pool features"), e.getMessage());
  }

  @Test
  void anArchiveWithNeitherStatisticsNorImagesIsNamed(@TempDir Path dir) {
    Path file = dir.resolve("other.npz");
    Npz.write(file, Map.of("x", HostTensor.ofDoubles(new long[] {1}, new double[] {1})));
    var e =
        assertThrows(InvalidInputException.class, () -> ReferenceBatch.load(file, inception));
    assertTrue(e.getMessage().startsWith(file + ": holds neither statistics"), e.getMessage());
    assertTrue(e.getMessage().contains("holds: x"), e.getMessage());
  }
}
