package ai.igspark.data.ingest;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.igspark.data.InvalidInputException;
import ai.igspark.tensorfile.DType;
import ai.igspark.testsupport.Fixtures;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** More bad inputs; each message must name the culprit. */
class BadInputTest {
  @TempDir Path tmp;

  private static void assertNames(InvalidInputException e, String... parts) {
    for (String p : parts) {
      assertTrue(e.getMessage().contains(p), "'" + p + "' not in: " + e.getMessage());
    }
  }

  @Test
  void fileThatIsNotTorchScriptIsNamedWhenLoadingTheVae() throws Exception {
    Path notAModule = tmp.resolve("vae.pt");
    Files.copy(Fixtures.path("edm2/vae-sd/dataset.json"), notAModule);
    InvalidInputException e = assertThrows(InvalidInputException.class,
        () -> TorchScriptVae.load(notAModule, new int[] {4, 32, 32}));
    assertNames(e, notAModule.toString(), "TorchScript");
  }

  @Test
  void missingVaeFileIsNamed() {
    Path missing = tmp.resolve("nowhere/vae.pt");
    InvalidInputException e = assertThrows(InvalidInputException.class,
        () -> TorchScriptVae.load(missing, new int[] {4, 32, 32}));
    assertNames(e, missing.toString());
  }

  @Test
  void imageFolderWithoutClassFoldersIsNamed() throws Exception {
    Path flat = tmp.resolve("flat");
    Files.createDirectories(flat);
    Files.copy(Fixtures.path("jpeg/baseline.jpg"), flat.resolve("a.jpg"));
    InvalidInputException e = assertThrows(InvalidInputException.class,
        () -> ImageFolderIngestJob.list(flat.toString(), new Configuration(), new ArrayList<>()));
    assertNames(e, flat.toString(), "class");
  }

  @Test
  void edm2DatasetJsonWithNullLabelsIsNamed() throws Exception {
    Path vaeSd = tmp.resolve("vae-sd");
    Files.createDirectories(vaeSd);
    Files.writeString(vaeSd.resolve("dataset.json"), "{\"labels\": null}");
    InvalidInputException e = assertThrows(InvalidInputException.class,
        () -> Edm2Import.run(new Edm2Import.Options(vaeSd, tmp.resolve("out").toString(), 0,
            DType.F32, "sd-vae-ft-mse", false), new Configuration(), Progress.SILENT));
    assertNames(e, vaeSd.resolve("dataset.json").toString(), "labels");
  }

  @Test
  void latentStatsWithTheWrongChannelCountAreNamed() {
    Path stats = Fixtures.path("lightningdit/imagenet_train_256/latents_stats.pt");
    InvalidInputException e = assertThrows(InvalidInputException.class,
        () -> LightningDitImport.readStats(stats, 16));
    assertNames(e, stats.toString(), "'mean'", "[1, 16, 1, 1]");
  }
}
