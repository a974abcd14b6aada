package ai.igspark.data.ingest;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.igspark.data.InvalidInputException;
import ai.igspark.data.format.DatasetManifest;
import ai.igspark.data.format.Normalization;
import ai.igspark.tensorfile.DType;
import ai.igspark.tensorfile.HalfPrecision;
import ai.igspark.tensorfile.HostTensor;
import ai.igspark.tensorfile.Npy;
import ai.igspark.tensorfile.SafetensorsFile;
import ai.igspark.testsupport.Fixtures;
import java.io.DataOutputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.GZIPOutputStream;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FashionMnistIngestTest {
  @TempDir Path tmp;

  private List<FashionMnistIngest.SplitResult> ingest(Path source, boolean force) {
    return new FashionMnistIngest(
            source, tmp.resolve("out").toString(), force, new Configuration(), Progress.SILENT)
        .run();
  }

  @Test
  void splitsBecomePaddedF16PixelDatasetsWithTheirLabels() {
    List<FashionMnistIngest.SplitResult> results = ingest(Fixtures.path("idx"), false);
    assertEquals(2, results.size());
    for (FashionMnistIngest.SplitResult r : results) {
      String split = r.split().filePrefix();
      DatasetManifest m = DatasetManifest.read(r.dirUri(), new Configuration());
      long[] labels = Npy.read(Fixtures.path("idx/" + split + "_labels.npy")).toLongs();
      long[] images = Npy.read(Fixtures.path("idx/" + split + "_images.npy")).toLongs();
      assertEquals(List.of(1, 32, 32), m.latentShape());
      assertEquals(DType.F16, m.storedDType());
      assertEquals(10, m.numClasses());
      assertEquals(labels.length, m.count());
      assertEquals(Normalization.identity(), m.normalization());
      assertEquals("none", m.vae().name());
      assertFalse(m.hasFlip());

      Path shard = tmp.resolve("out").resolve(r.split().datasetName()).resolve(
          m.shards().get(0).path());
      try (SafetensorsFile f = SafetensorsFile.open(shard)) {
        assertArrayEquals(labels, f.read("labels").toLongs());
        HostTensor latents = f.read("latents");
        assertArrayEquals(new long[] {labels.length, 1, 32, 32}, latents.shape());
        float[] x = latents.toFloats();
        for (int i = 0; i < labels.length; i++) {
          for (int y = 0; y < 32; y++) {
            for (int c = 0; c < 32; c++) {
              boolean border = y < 2 || y >= 30 || c < 2 || c >= 30;
              int grey = border ? 0 : (int) images[i * 784 + (y - 2) * 28 + c - 2];
              float v = x[i * 1024 + y * 32 + c];
              assertEquals(grey, Math.round((v + 1) * 127.5f), "image " + i + " at " + y + "," + c);
            }
          }
        }
      }
    }
  }

  @Test
  void everyGreyLevelSurvivesF16Storage() {
    for (int grey = 0; grey < 256; grey++) {
      float stored = HalfPrecision.f16ToFloat(HalfPrecision.floatToF16(grey / 127.5f - 1f));
      assertEquals(grey, Math.round((stored + 1) * 127.5f));
      assertTrue(Math.abs(stored - (grey / 127.5f - 1f)) <= 2.5e-4f);
    }
  }

  @Test
  void preparedDatasetsAreKeptUnlessForced() throws Exception {
    ingest(Fixtures.path("idx"), false);
    Path manifest = tmp.resolve("out/fashion-mnist-train/dataset.json");
    long before = Files.getLastModifiedTime(manifest).toMillis();
    List<FashionMnistIngest.SplitResult> again = ingest(Fixtures.path("idx"), false);
    assertTrue(again.stream().allMatch(FashionMnistIngest.SplitResult::kept));
    assertNull(again.get(0).manifest());
    Files.setLastModifiedTime(manifest, java.nio.file.attribute.FileTime.fromMillis(before - 5000));
    List<FashionMnistIngest.SplitResult> forced = ingest(Fixtures.path("idx"), true);
    assertTrue(forced.stream().noneMatch(FashionMnistIngest.SplitResult::kept));
    assertTrue(Files.getLastModifiedTime(manifest).toMillis() > before - 5000);
  }

  @Test
  void aKeptDatasetWithADamagedShardIsRefusedWithoutForce() throws Exception {
    ingest(Fixtures.path("idx"), false);
    Path shard;
    try (var files = Files.list(tmp.resolve("out/fashion-mnist-train"))) {
      shard = files.filter(p -> p.getFileName().toString().startsWith("shard-")).findFirst()
          .orElseThrow();
    }
    byte[] b = Files.readAllBytes(shard);
    b[b.length - 3] ^= 1;
    Files.write(shard, b);
    var e = assertThrows(InvalidInputException.class, () -> ingest(Fixtures.path("idx"), false));
    assertTrue(e.getMessage().contains("fashion-mnist-train: already holds a dataset, which is"
        + " damaged") && e.getMessage().contains("sha256 mismatch")
        && e.getMessage().contains("--force"), e.getMessage());
    assertTrue(ingest(Fixtures.path("idx"), true).stream()
        .noneMatch(FashionMnistIngest.SplitResult::kept));
  }

  @Test
  void aKeptDatasetThatIsADifferentDatasetIsRefusedWithoutForce() throws Exception {
    ingest(Fixtures.path("idx"), false);
    Path manifest = tmp.resolve("out/fashion-mnist-test/dataset.json");
    Files.writeString(manifest, Files.readString(manifest)
        .replace("\"source\" : \"fashion-mnist t10k", "\"source\" : \"my own t10k"));
    var e = assertThrows(InvalidInputException.class, () -> ingest(Fixtures.path("idx"), false));
    assertTrue(e.getMessage().contains("fashion-mnist-test: already holds a dataset, which is not"
        + " Fashion-MNIST t10k (source 'my own t10k"), e.getMessage());
  }

  @Test
  void wrongMagicNumberIsRejectedWithTheFileAndBothNumbers() throws Exception {
    Path src = tmp.resolve("src");
    Files.createDirectories(src);
    for (String name : new String[] {"train", "t10k"}) {
      Files.copy(Fixtures.path("idx/" + name + "-labels-idx1-ubyte.gz"),
          src.resolve(name + "-labels-idx1-ubyte.gz"));
      // labels passed where images belong: magic 0x801 instead of 0x803
      Files.copy(Fixtures.path("idx/" + name + "-labels-idx1-ubyte.gz"),
          src.resolve(name + "-images-idx3-ubyte.gz"));
    }
    InvalidInputException e =
        assertThrows(InvalidInputException.class, () -> ingest(src, false));
    assertTrue(e.getMessage().contains(src.resolve("train-images-idx3-ubyte.gz").toString()),
        e.getMessage());
    assertTrue(e.getMessage().contains("0x00000801"), e.getMessage());
    assertTrue(e.getMessage().contains("0x00000803"), e.getMessage());
  }

  @Test
  void truncatedIdxFileIsRejectedWithItsName() throws Exception {
    Path file = tmp.resolve("short-images-idx3-ubyte.gz");
    try (OutputStream o = new GZIPOutputStream(Files.newOutputStream(file));
        DataOutputStream d = new DataOutputStream(o)) {
      d.writeInt(IdxReader.IMAGES_MAGIC);
      d.writeInt(5);
      d.writeInt(28);
      d.writeInt(28);
      d.write(new byte[100]);
    }
    InvalidInputException e =
        assertThrows(InvalidInputException.class, () -> IdxReader.readImages(file));
    assertTrue(e.getMessage().contains(file.toString()) && e.getMessage().contains("truncated"),
        e.getMessage());
  }

  @Test
  void missingSourceDirectoryIsNamed() {
    Path missing = tmp.resolve("no-such-dir");
    InvalidInputException e =
        assertThrows(InvalidInputException.class, () -> ingest(missing, false));
    assertTrue(e.getMessage().contains(missing.toString()), e.getMessage());
  }

  @Test
  void missingIdxFileIsNamed() throws Exception {
    Path src = tmp.resolve("partial");
    Files.createDirectories(src);
    Files.copy(Fixtures.path("idx/train-images-idx3-ubyte.gz"),
        src.resolve("train-images-idx3-ubyte.gz"));
    InvalidInputException e = assertThrows(InvalidInputException.class, () -> ingest(src, false));
    assertTrue(e.getMessage().contains("train-labels-idx1-ubyte"), e.getMessage());
  }

  @Test
  void outputDirectoryWithForeignFilesIsRefused() throws Exception {
    Path out = tmp.resolve("out/fashion-mnist-train");
    Files.createDirectories(out);
    Files.writeString(out.resolve("notes.txt"), "mine");
    InvalidInputException e =
        assertThrows(InvalidInputException.class, () -> ingest(Fixtures.path("idx"), false));
    assertTrue(e.getMessage().contains("notes.txt"), e.getMessage());
    assertTrue(Files.exists(out.resolve("notes.txt")));
  }
}
