package ai.igspark.eval.fmnist;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.igspark.data.InvalidInputException;
import ai.igspark.tensorfile.HostTensor;
import ai.igspark.tensorfile.SafetensorsFile;
import ai.igspark.tensorfile.SafetensorsWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FmnistClassifierTest {
  @TempDir Path tmp;

  @Test
  void committedClassifierReachesNinetyPercentOnTheTestSplit() {
    FmnistImages test = FashionMnistSplits.test();
    try (FmnistFeatures f = FmnistFeatures.ofDefault()) {
      double accuracy = f.accuracy(test);
      assertTrue(accuracy >= 0.90, "test accuracy " + accuracy);
      // The accuracy recorded at training time is what this JVM measures too.
      assertEquals(f.classifier().provenance().testAccuracy(), accuracy, 1e-3);
    }
  }

  @Test
  void committedClassifierRecordsTheSplitsItWasTrainedAndTestedOn() {
    FmnistClassifier.Provenance p = FmnistClassifier.loadDefault().provenance();
    assertEquals(FmnistCnn.ARCHITECTURE, p.architecture());
    assertEquals(60_000, p.trainImages());
    assertEquals(FashionMnistSplits.train().manifestSha256(), p.trainManifestSha256());
    assertEquals(FashionMnistSplits.test().manifestSha256(), p.testManifestSha256());
  }

  @Test
  void savedClassifierLoadsWithTheSameWeightsAndIdentity() {
    FmnistClassifier c = FmnistClassifier.of(FmnistCnn.initialWeights(7), provenance("x"));
    Path file = tmp.resolve("c.safetensors");
    String sha = c.save(file);
    assertEquals(c.sha256(), sha);
    FmnistClassifier loaded = FmnistClassifier.load(file);
    assertEquals(sha, loaded.sha256());
    assertEquals(c.provenance(), loaded.provenance());
    for (Map.Entry<String, float[]> e : c.weights().entrySet()) {
      assertArrayEquals(e.getValue(), loaded.weights().get(e.getKey()), e.getKey());
    }
  }

  @Test
  void wrongArchitectureIsRejectedNamingTheFile() {
    Path file = tmp.resolve("other-net.safetensors");
    SafetensorsWriter w = new SafetensorsWriter().metadata(provenance("x").toMetadata());
    w.metadata("architecture", "fmnist-cnn-v0");
    FmnistCnn.initialWeights(1).forEach((name, values) -> w.add(name,
        HostTensor.ofFloats(FmnistCnn.parameterShapes().get(name).getShape(), values)));
    w.write(file);
    InvalidInputException e =
        assertThrows(InvalidInputException.class, () -> FmnistClassifier.load(file));
    assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
    assertTrue(e.getMessage().contains("'fmnist-cnn-v0'"), e.getMessage());
    assertTrue(e.getMessage().contains("'" + FmnistCnn.ARCHITECTURE + "'"), e.getMessage());
  }

  @Test
  void tensorOfTheWrongShapeIsRejectedNamingFileAndTensor() throws Exception {
    Path file = tmp.resolve("bad-shape.safetensors");
    SafetensorsWriter w = new SafetensorsWriter().metadata(provenance("x").toMetadata());
    FmnistCnn.initialWeights(1).forEach((name, values) -> w.add(name,
        name.equals("fc.bias")
            ? HostTensor.ofFloats(new long[] {64}, new float[64])
            : HostTensor.ofFloats(FmnistCnn.parameterShapes().get(name).getShape(), values)));
    w.write(file);
    InvalidInputException e =
        assertThrows(InvalidInputException.class, () -> FmnistClassifier.load(file));
    assertTrue(e.getMessage().startsWith(file.toString()), e.getMessage());
    assertTrue(e.getMessage().contains("'fc.bias'"), e.getMessage());
  }

  @Test
  void missingFileIsRejectedNamingIt() {
    Path file = tmp.resolve("absent.safetensors");
    InvalidInputException e =
        assertThrows(InvalidInputException.class, () -> FmnistClassifier.load(file));
    assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
  }

  @Test
  void identityIsTheSha256OfTheFileBytes() throws Exception {
    Path file = tmp.resolve("c.safetensors");
    FmnistClassifier.of(FmnistCnn.initialWeights(3), provenance("y")).save(file);
    String expected =
        java.util.HexFormat.of()
            .formatHex(
                java.security.MessageDigest.getInstance("SHA-256")
                    .digest(Files.readAllBytes(file)));
    assertEquals(expected, FmnistClassifier.load(file).sha256());
    try (SafetensorsFile f = SafetensorsFile.open(file)) {
      assertEquals("y", f.metadata().get("train_manifest_sha256"));
    }
  }

  private static FmnistClassifier.Provenance provenance(String trainSha) {
    return new FmnistClassifier.Provenance(
        FmnistCnn.ARCHITECTURE, 1, 1, 128, 1e-3f, 100, 0.5, trainSha, "t");
  }
}
