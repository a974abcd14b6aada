package ai.igspark.data.format;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.igspark.data.InvalidInputException;
import ai.igspark.data.sampling.SampleNoise;
import ai.igspark.tensorfile.DType;
import ai.igspark.tensorfile.HostTensor;
import ai.igspark.testsupport.MiniHdfs;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.fs.FileSystem;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** The dataset on a real (in-process, loopback) hdfs. */
class HdfsDatasetTest {
  @RegisterExtension static final MiniHdfs hdfs = MiniHdfs.named("format");

  @TempDir Path tmp;

  @Test
  void shardsWrittenOnHdfsAreCommittedCopiedVerifiedAndGathered() throws IOException {
    String dir = hdfs.uri("/datasets/two-phase");
    ShardSpec spec = new ShardSpec(LatentDatasetTest.C, LatentDatasetTest.H, LatentDatasetTest.W,
        DType.BF16, DatasetKind.LATENTS, true, 5, 2);
    List<ShardEntry> entries = new ArrayList<>();
    for (int part = 0; part < 2; part++) {
      ShardWriter w = ShardWriter.create(dir, "part-" + part, spec, hdfs.conf());
      for (int i = 0; i < 3; i++) {
        int n = part * 3 + i;
        w.add(LatentDatasetTest.sample(n, false), LatentDatasetTest.sample(n, true), n % 5);
      }
      entries.addAll(w.finish());
    }
    DatasetManifest m = new DatasetManifest(1, List.of(2, 3, 4), DType.BF16, 5, 6,
        DatasetKind.LATENTS, true, LabelMode.CLASS, Normalization.identity(), VaeIdentity.none(),
        "hdfs test", 0, null, entries);
    DatasetManifest.commit(dir, m, hdfs.conf());
    assertEquals(m, DatasetManifest.read(dir, hdfs.conf()));

    LocalShardCache cache = new LocalShardCache(tmp.resolve("cache"));
    try (LatentDataset ds = LatentDataset.open(dir + "/dataset.json", hdfs.conf(), cache)) {
      ds.verify();
      float[] x = new float[2 * 24];
      long[] y = new long[2];
      ds.gatherInto(new long[] {5, 1}, SampleNoise.none(), x, y);
      assertArrayEquals(new long[] {0, 1}, y);
      float[] want = HostTensor.ofFloatsAs(DType.BF16, new long[] {24},
          LatentDatasetTest.sample(5, false)).toFloats();
      assertArrayEquals(want, java.util.Arrays.copyOf(x, 24));
    }
    // every shard was copied once, under its digest
    for (ShardEntry e : entries) {
      assertTrue(Files.exists(tmp.resolve("cache").resolve(e.sha256() + ".safetensors")));
    }
  }

  @Test
  void corruptedShardOnHdfsIsRejectedWithItsUri() throws IOException {
    String dir = hdfs.uri("/datasets/corrupt");
    DatasetWriter hw = DatasetWriter.to(dir).latentShape(2, 3, 4).numClasses(5)
        .normalization(Normalization.identity()).samplesPerShard(3).hadoopConf(hdfs.conf())
        .build();
    for (int i = 0; i < 4; i++) {
      hw.add(LatentDatasetTest.sample(i, false), null, 0);
    }
    DatasetManifest m = hw.commit();
    org.apache.hadoop.fs.Path shard = new org.apache.hadoop.fs.Path(dir, m.shards().get(0).path());
    FileSystem fs = shard.getFileSystem(hdfs.conf());
    byte[] bytes;
    try (InputStream in = fs.open(shard)) {
      bytes = in.readAllBytes();
    }
    bytes[bytes.length - 1] ^= 0x40;
    try (OutputStream out = fs.create(shard, true)) {
      out.write(bytes);
    }
    InvalidInputException e = assertThrows(InvalidInputException.class, () -> {
      try (LatentDataset ds = LatentDataset.open(dir, hdfs.conf(),
          new LocalShardCache(tmp.resolve("c2")))) {
        ds.verify();
      }
    });
    assertTrue(e.getMessage().contains(shard.toString()) && e.getMessage().contains("sha256"),
        e.getMessage());
  }
}
