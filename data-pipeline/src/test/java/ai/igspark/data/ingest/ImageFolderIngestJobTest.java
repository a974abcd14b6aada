package ai.igspark.data.ingest;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.igspark.data.InvalidInputException;
import ai.igspark.data.Sha256;
import ai.igspark.data.format.DatasetManifest;
import ai.igspark.data.format.Normalization;
import ai.igspark.data.format.ShardEntry;
import ai.igspark.tensorfile.DType;
import ai.igspark.tensorfile.HostTensor;
import ai.igspark.tensorfile.Npy;
import ai.igspark.tensorfile.SafetensorsFile;
import ai.igspark.testsupport.Fixtures;
import ai.igspark.testsupport.LocalSpark;
import ai.igspark.testsupport.MiniHdfs;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** The image-folder job in Spark local mode with a real (tiny) TorchScript VAE. */
class ImageFolderIngestJobTest {
  @RegisterExtension static final LocalSpark spark = LocalSpark.threads(2);
  @TempDir Path tmp;

  private ImageFolderIngestJob.Options options(String source, int[] latentShape, boolean flips) {
    return new ImageFolderIngestJob.Options(
        source,
        tmp.resolve("out").toString(),
        Fixtures.path("tiny_vae/tiny_vae.pt"),
        "tiny-test-vae",
        latentShape,
        64,
        flips,
        DType.F32,
        Normalization.scalar(0.5f, 0f),
        3,
        2,
        1L << 20,
        false);
  }

  @Test
  void foldersBecomeLabelledLatentsMatchingTorch() throws Exception {
    ImageFolderIngestJob.Result r =
        ImageFolderIngestJob.run(
            spark.sc(),
            options(Fixtures.path("imagefolder").toString(), new int[] {4, 8, 8}, true),
            new Configuration(), Progress.SILENT);
    DatasetManifest m = DatasetManifest.read(tmp.resolve("out").toString(), new Configuration());
    assertEquals(List.of("n01440764_tench", "n01443537_goldfish", "n01484850_shark"),
        r.classes());
    assertEquals(r.classes(), Files.readAllLines(tmp.resolve("out/classes.txt")));
    assertEquals(6, m.count());
    assertEquals(1, m.skipped());
    assertTrue(Files.readString(tmp.resolve("out/skipped.txt"))
        .startsWith("n01484850_shark/broken.jpg\t"));
    assertEquals(3, m.numClasses());
    assertTrue(m.hasFlip());
    assertEquals(List.of(4, 8, 8), m.latentShape());
    assertEquals(Sha256.of(Fixtures.path("tiny_vae/tiny_vae.pt")),
        m.vae().encoderSha256());
    assertTrue(m.shards().size() >= 3, "one shard per task at least");

    List<float[]> latents = new ArrayList<>();
    List<float[]> flips = new ArrayList<>();
    List<Long> labels = new ArrayList<>();
    for (ShardEntry s : m.shards()) {
      try (SafetensorsFile f = SafetensorsFile.open(tmp.resolve("out").resolve(s.path()))) {
        float[] z = f.read("latents").toFloats();
        float[] zf = f.read("latents_flip").toFloats();
        for (int i = 0; i < s.count(); i++) {
          latents.add(java.util.Arrays.copyOfRange(z, i * 256, (i + 1) * 256));
          flips.add(java.util.Arrays.copyOfRange(zf, i * 256, (i + 1) * 256));
        }
        for (long l : f.read("labels").toLongs()) {
          labels.add(l);
        }
      }
    }
    // a, b, c.JPEG | d, e.jpg (CMYK) | f  (broken.jpg skipped)
    assertEquals(List.of(0L, 0L, 0L, 1L, 1L, 2L), labels);
    HostTensor want = Npy.read(Fixtures.path("tiny_vae/png_latents.npy"));
    HostTensor wantFlip = Npy.read(Fixtures.path("tiny_vae/png_latents_flip.npy"));
    int[] pngIndex = {0, 1, 3, 5}; // a.png, b.png, d.png, f.png in dataset order
    float[] w = want.toFloats();
    float[] wf = wantFlip.toFloats();
    for (int k = 0; k < pngIndex.length; k++) {
      for (int j = 0; j < 256; j++) {
        assertEquals(w[k * 256 + j], latents.get(pngIndex[k])[j], 1e-5, "latent " + k + "," + j);
        assertEquals(wf[k * 256 + j], flips.get(pngIndex[k])[j], 1e-5, "flip " + k + "," + j);
      }
    }
  }

  @Test
  void foldersOnHdfsBecomeADatasetOnHdfs() throws Exception {
    try (MiniHdfs hdfs = MiniHdfs.named("imagefolder").start()) {
      Configuration conf = hdfs.conf();
      FileSystem fs = hdfs.fileSystem();
      fs.copyFromLocalFile(new org.apache.hadoop.fs.Path(Fixtures.path("imagefolder").toUri()),
          new org.apache.hadoop.fs.Path("/in/imagefolder"));
      String out = hdfs.uri("/datasets/folder");
      ImageFolderIngestJob.Options o = options(hdfs.uri("/in/imagefolder"),
          new int[] {4, 8, 8}, false);
      o = new ImageFolderIngestJob.Options(o.sourceUri(), out, o.vaeFile(), o.vaeName(),
          o.latentShape(), o.resolution(), o.flips(), o.storedDType(), o.normalization(),
          o.tasks(), o.batchSize(), o.shardBytes(), o.force());
      ImageFolderIngestJob.Result r =
          ImageFolderIngestJob.run(spark.sc(), o, conf, Progress.SILENT);
      DatasetManifest m = DatasetManifest.read(out, conf);
      assertEquals(6, m.count());
      assertEquals(1, m.skipped());
      assertEquals(r.manifest().shards(), m.shards());
      assertTrue(fs.exists(new org.apache.hadoop.fs.Path("/datasets/folder/classes.txt")));
    }
  }

  @Test
  void vaeOutputShapeDifferentFromTheDeclaredOneIsNamed() {
    InvalidInputException e =
        assertThrows(
            InvalidInputException.class,
            () -> ImageFolderIngestJob.run(
                spark.sc(),
                options(Fixtures.path("imagefolder").toString(), new int[] {4, 16, 16}, false),
                new Configuration(), Progress.SILENT));
    assertTrue(e.getMessage().startsWith(Fixtures.path("tiny_vae/tiny_vae.pt").toString()),
        e.getMessage());
    assertTrue(e.getMessage().contains("[4, 8, 8]"), e.getMessage());
    assertTrue(e.getMessage().contains("[4, 16, 16]"), e.getMessage());
    assertFalse(Files.exists(tmp.resolve("out/dataset.json")));
  }

  @Test
  void missingSourceFolderIsNamed() {
    String missing = tmp.resolve("no-images-here").toString();
    InvalidInputException e =
        assertThrows(
            InvalidInputException.class,
            () -> ImageFolderIngestJob.run(
                spark.sc(), options(missing, new int[] {4, 8, 8}, false),
                new Configuration(), Progress.SILENT));
    assertTrue(e.getMessage().contains("no-images-here"), e.getMessage());
  }
}
