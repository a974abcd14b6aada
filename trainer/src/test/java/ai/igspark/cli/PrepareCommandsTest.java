package ai.igspark.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The prepare subcommands end to end on data-pipeline's committed fixtures. */
class PrepareCommandsTest {
  private static final Path FIXTURES =
      Path.of(System.getProperty("igspark.project.dir"),
          "data-pipeline/src/test/resources/fixtures");

  @TempDir Path tmp;

  private static String[] run(String... args) {
    CliRun r = CliRun.of(args);
    return new String[] {String.valueOf(r.code()), r.out(), r.err()};
  }

  @Test
  void fashionMnistWritesBothSplitsThenKeepsThem() {
    String out = tmp.resolve("data").toString();
    String[] first = run("prepare", "fashion-mnist", "--source",
        FIXTURES.resolve("idx").toString(), "--output", out);
    assertEquals("0", first[0], first[2]);
    assertTrue(first[1].contains("fashion-mnist-train: 12 samples"), first[1]);
    assertTrue(first[1].contains("fashion-mnist-test: 7 samples"), first[1]);
    assertTrue(Files.exists(tmp.resolve("data/fashion-mnist-test/dataset.json")));

    String[] second = run("prepare", "fashion-mnist", "--source",
        FIXTURES.resolve("idx").toString(), "--output", out);
    assertEquals("0", second[0], second[2]);
    assertTrue(second[1].contains("already prepared"), second[1]);
  }

  @Test
  void badInputIsPrintedWithoutAStackTrace() {
    String[] r = run("prepare", "fashion-mnist", "--source", tmp.resolve("missing").toString(),
        "--output", tmp.resolve("data").toString());
    assertEquals("2", r[0]);
    assertTrue(r[2].startsWith("igspark: error: ") && r[2].contains("missing"), r[2]);
    assertTrue(!r[2].contains("\tat "), r[2]);
  }

  @Test
  void importEdm2WritesAMomentsDataset() {
    String[] r = run("prepare", "import-edm2", "--source", FIXTURES.resolve("edm2").toString(),
        "--output", tmp.resolve("edm2").toString());
    assertEquals("0", r[0], r[2]);
    assertTrue(r[1].contains("4 posteriors [4, 32, 32]"), r[1]);
  }

  @Test
  void importLightningDitWritesALatentDataset() {
    String[] r = run("prepare", "import-lightningdit", "--source",
        FIXTURES.resolve("lightningdit/imagenet_train_256").toString(),
        "--output", tmp.resolve("ldit").toString());
    assertEquals("0", r[0], r[2]);
    assertTrue(r[1].contains("8 latents [32, 4, 4] with flips"), r[1]);
  }

  @Test
  void malformedLatentShapeIsRejectedByName() {
    String[] r = run("prepare", "imagefolder", "--source", FIXTURES.resolve("imagefolder")
        .toString(), "--output", tmp.resolve("x").toString(), "--vae",
        FIXTURES.resolve("tiny_vae/tiny_vae.pt").toString(), "--latent-shape", "4x8x8");
    assertEquals("2", r[0]);
    assertTrue(r[2].contains("--latent-shape 4x8x8"), r[2]);
  }
}
