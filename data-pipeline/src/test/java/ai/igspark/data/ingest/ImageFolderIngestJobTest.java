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
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.hdfs.MiniDFSCluster;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The image-folder job in Spark local mode with a real (tiny) TorchScript VAE. */
class ImageFolderIngestJobTest {
  private static JavaSparkContext sc;
  @TempDir Path tmp;

  @BeforeAll
  static void startSpark() {
    sc =
        new JavaSparkContext(
            new SparkConf()
                .setMaster("local[2]")
                .setAppName("ImageFolderIngestJobTest")
                .set("spark.ui.enabled", "false")
                .set("spark.driver.host", "127.0.0.1")
                .set("spark.driver.bindAddress", "127.0.0.1"));
  }

  @AfterAll
  static void stopSpark() {
    sc.stop();
  }

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
            sc, options(Fixtures.path("imagefolder").toString(), new int[] {4, 8, 8}, true),
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
    Configuration c = new Configuration();
    c.set(MiniDFSCluster.HDFS_MINIDFS_BASEDIR, tmp.resolve("minidfs").toString());
    for (String key : new String[] {"dfs.namenode.rpc-address", "dfs.namenode.http-address",
        "dfs.namenode.https-address", "dfs.namenode.servicerpc-address",
        "dfs.namenode.lifeline.rpc-address", "dfs.datanode.address", "dfs.datanode.http.address",
        "dfs.datanode.https.address", "dfs.datanode.ipc.address"}) {
      c.set(key, "127.0.0.1:0");
    }
    c.set("dfs.namenode.rpc-bind-host", "127.0.0.1");
    c.set("dfs.namenode.http-bind-host", "127.0.0.1");
    c.setInt("dfs.replication", 1);
    MiniDFSCluster cluster = new MiniDFSCluster.Builder(c).numDataNodes(1).build();
    try {
      cluster.waitActive();
      Configuration conf = cluster.getConfiguration(0);
      FileSystem fs = cluster.getFileSystem();
      fs.copyFromLocalFile(new org.apache.hadoop.fs.Path(Fixtures.path("imagefolder").toUri()),
          new org.apache.hadoop.fs.Path("/in/imagefolder"));
      String out = cluster.getURI() + "/datasets/folder";
      ImageFolderIngestJob.Options o = options(cluster.getURI() + "/in/imagefolder",
          new int[] {4, 8, 8}, false);
      o = new ImageFolderIngestJob.Options(o.sourceUri(), out, o.vaeFile(), o.vaeName(),
          o.latentShape(), o.resolution(), o.flips(), o.storedDType(), o.normalization(),
          o.tasks(), o.batchSize(), o.shardBytes(), o.force());
      ImageFolderIngestJob.Result r = ImageFolderIngestJob.run(sc, o, conf, Progress.SILENT);
      DatasetManifest m = DatasetManifest.read(out, conf);
      assertEquals(6, m.count());
      assertEquals(1, m.skipped());
      assertEquals(r.manifest().shards(), m.shards());
      assertTrue(fs.exists(new org.apache.hadoop.fs.Path("/datasets/folder/classes.txt")));
    } finally {
      cluster.shutdown();
    }
  }

  @Test
  void vaeOutputShapeDifferentFromTheDeclaredOneIsNamed() {
    InvalidInputException e =
        assertThrows(
            InvalidInputException.class,
            () -> ImageFolderIngestJob.run(
                sc, options(Fixtures.path("imagefolder").toString(), new int[] {4, 16, 16}, false),
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
            () -> ImageFolderIngestJob.run(sc, options(missing, new int[] {4, 8, 8}, false),
                new Configuration(), Progress.SILENT));
    assertTrue(e.getMessage().contains("no-images-here"), e.getMessage());
  }
}
