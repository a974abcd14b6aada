package ai.igspark.data.format;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.igspark.data.InvalidInputException;
import ai.igspark.data.sampling.FlipMode;
import ai.igspark.data.sampling.SampleNoise;
import ai.igspark.tensorfile.DType;
import ai.igspark.tensorfile.HostTensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LatentDatasetTest {
  static final int C = 2;
  static final int H = 3;
  static final int W = 4;
  static final int N = 10;
  static final Configuration CONF = new Configuration();

  @TempDir Path tmp;

  /** Sample i, element k: a value no two samples or elements share. */
  static float value(int i, int k, boolean flip) {
    return (flip ? -1 : 1) * (i * 100 + k) * 0.01f + 0.5f;
  }

  static float[] sample(int i, boolean flip) {
    float[] v = new float[C * H * W];
    for (int k = 0; k < v.length; k++) {
      v[k] = value(i, k, flip);
    }
    return v;
  }

  static DatasetWriter.Builder builder(Path dir) {
    return DatasetWriter.to(dir.toString()).latentShape(C, H, W).numClasses(5)
        .normalization(Normalization.identity()).vae("none").source("test").samplesPerShard(3);
  }

  private Path writeLatents(DType stored, boolean flips, Normalization norm) {
    Path dir = tmp.resolve("ds-" + stored + flips);
    DatasetWriter w = builder(dir).storedDType(stored).withFlips(flips).normalization(norm).build();
    for (int i = 0; i < N; i++) {
      w.add(sample(i, false), flips ? sample(i, true) : null, i % 5);
    }
    w.commit();
    return dir;
  }

  private LatentDataset open(Path dir) {
    return LatentDataset.open(dir.toString(), CONF, new LocalShardCache(tmp.resolve("cache")));
  }

  private static float[] gather(LatentDataset ds, long[] idx, SampleNoise noise, long[] labels) {
    float[] x = new float[idx.length * C * H * W];
    long[] y = new long[idx.length];
    ds.gatherInto(idx, noise, x, y);
    if (labels != null) {
      System.arraycopy(y, 0, labels, 0, y.length);
    }
    return x;
  }

  @Test
  void latentsRollOverIntoShardsAndReadBackExactly() {
    Path dir = writeLatents(DType.F32, false, Normalization.identity());
    try (LatentDataset ds = open(dir)) {
      DatasetManifest m = ds.manifest();
      assertEquals(N, m.count());
      assertEquals(List.of(3L, 3L, 3L, 1L), m.shards().stream().map(ShardEntry::count).toList());
      long[] idx = {9, 0, 4, 4, 7};
      long[] y = new long[idx.length];
      float[] x = gather(ds, idx, SampleNoise.none(), y);
      for (int i = 0; i < idx.length; i++) {
        for (int k = 0; k < C * H * W; k++) {
          assertEquals(value((int) idx[i], k, false), x[i * C * H * W + k]);
        }
        assertEquals(idx[i] % 5, y[i]);
      }
    }
  }

  @Test
  void gatherMakesFloat32AndInt64ArraysOfTheBatchShape() {
    Path dir = writeLatents(DType.F16, false, Normalization.identity());
    try (LatentDataset ds = open(dir); NDManager manager = NDManager.newBaseManager("PyTorch")) {
      LatentBatch b = ds.gather(new long[] {1, 2, 8}, SampleNoise.none(), manager);
      assertEquals(new ai.djl.ndarray.types.Shape(3, C, H, W), b.x().getShape());
      assertEquals(ai.djl.ndarray.types.DataType.FLOAT32, b.x().getDataType());
      assertEquals(ai.djl.ndarray.types.DataType.INT64, b.y().getDataType());
      assertArrayEquals(new long[] {1, 2, 3}, b.y().toLongArray());
      float[] expected = gather(ds, new long[] {1, 2, 8}, SampleNoise.none(), null);
      assertArrayEquals(expected, b.x().toFloatArray());
    }
  }

  @Test
  void halfPrecisionStorageIsWidenedAndNormalised() {
    Normalization norm = Normalization.scalar(0.18215f, 0.25f);
    for (DType stored : new DType[] {DType.F16, DType.BF16}) {
      Path dir = writeLatents(stored, false, norm);
      try (LatentDataset ds = open(dir)) {
        float[] x = gather(ds, new long[] {6}, SampleNoise.none(), null);
        HostTensor narrowed =
            HostTensor.ofFloatsAs(stored, new long[] {C * H * W}, sample(6, false));
        float[] widened = narrowed.toFloats();
        for (int k = 0; k < widened.length; k++) {
          assertEquals(widened[k] * 0.18215f + 0.25f, x[k], 0f, stored + " element " + k);
        }
      }
    }
  }

  @Test
  void perChannelNormalisationSubtractsMeanAndDividesByStd() {
    Normalization norm = Normalization.perChannel(new float[] {0.5f, -1f}, new float[] {2f, 4f});
    Path dir = writeLatents(DType.F32, false, norm);
    try (LatentDataset ds = open(dir)) {
      float[] x = gather(ds, new long[] {3}, SampleNoise.none(), null);
      float[] z = sample(3, false);
      for (int k = 0; k < z.length; k++) {
        int c = k / (H * W);
        float want = (z[k] - norm.mean()[c]) / norm.std()[c];
        assertEquals(want, x[k], 1e-6f, "element " + k);
      }
    }
  }

  @Test
  void storedFlipsAreChosenByAKeyedCoinAboutHalfTheTime() {
    Path dir = writeLatents(DType.F32, true, Normalization.identity());
    try (LatentDataset ds = open(dir)) {
      int flipped = 0;
      for (long epoch = 0; epoch < 40; epoch++) {
        long[] idx = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
        long[] epochs = new long[idx.length];
        java.util.Arrays.fill(epochs, epoch);
        SampleNoise noise = SampleNoise.training(11, epochs, FlipMode.STORED);
        float[] x = gather(ds, idx, noise, null);
        for (int i = 0; i < idx.length; i++) {
          boolean f = noise.flipped(i, idx[i]);
          assertEquals(value(i, 5, f), x[i * C * H * W + 5]);
          flipped += f ? 1 : 0;
        }
      }
      assertTrue(flipped > 150 && flipped < 250, "flipped " + flipped + " of 400");
    }
  }

  @Test
  void mirrorFlipReversesEachRowOfPixels() {
    Path dir = writeLatents(DType.F32, false, Normalization.identity());
    try (LatentDataset ds = open(dir)) {
      long[] epochs = new long[1];
      // find an epoch where sample 2 flips
      SampleNoise noise = null;
      for (long e = 0; noise == null; e++) {
        epochs[0] = e;
        SampleNoise n = SampleNoise.training(5, epochs, FlipMode.MIRROR);
        if (n.flipped(0, 2)) {
          noise = n;
        }
      }
      float[] x = gather(ds, new long[] {2}, noise, null);
      for (int c = 0; c < C; c++) {
        for (int h = 0; h < H; h++) {
          for (int w = 0; w < W; w++) {
            int k = (c * H + h) * W + w;
            int mirrored = (c * H + h) * W + (W - 1 - w);
            assertEquals(value(2, mirrored, false), x[k]);
          }
        }
      }
    }
  }

  @Test
  void storedFlipsOnADatasetWithoutThemAreRefused() {
    Path dir = writeLatents(DType.F32, false, Normalization.identity());
    try (LatentDataset ds = open(dir)) {
      InvalidInputException e = assertThrows(InvalidInputException.class, () -> gather(ds,
          new long[] {0}, SampleNoise.training(1, new long[] {0}, FlipMode.STORED), null));
      assertTrue(e.getMessage().contains("dataset.json") && e.getMessage().contains("has_flip"));
    }
  }

  private Path writeMoments() {
    Path dir = tmp.resolve("moments");
    DatasetWriter w = builder(dir).kind(DatasetKind.MOMENTS).storedDType(DType.F32)
        .normalization(Normalization.sdVae()).vae("sd-vae-ft-mse").build();
    for (int i = 0; i < N; i++) {
      float[] std = new float[C * H * W];
      java.util.Arrays.fill(std, 0.5f + i);
      w.addMoments(sample(i, false), std, i % 5);
    }
    w.commit();
    return dir;
  }

  @Test
  void momentsWithoutNoiseGiveTheScaledMean() {
    try (LatentDataset ds = open(writeMoments())) {
      float[] x = gather(ds, new long[] {4}, SampleNoise.none(), null);
      assertEquals(value(4, 7, false) * 0.18215f, x[7], 0f);
    }
  }

  @Test
  void momentsDrawAFreshPosteriorSampleKeyedBySample() {
    try (LatentDataset ds = open(writeMoments())) {
      long[] epochs = {3, 3};
      float[] a = gather(ds, new long[] {4, 7}, SampleNoise.training(9, epochs, FlipMode.NONE),
          null);
      float[] alone = gather(ds, new long[] {7}, SampleNoise.training(9, new long[] {3},
          FlipMode.NONE), null);
      int n = C * H * W;
      // sample 7's draw does not depend on what else is in the batch or where
      assertArrayEquals(java.util.Arrays.copyOfRange(a, n, 2 * n), alone);
      float[] otherEpoch = gather(ds, new long[] {7}, SampleNoise.training(9, new long[] {4},
          FlipMode.NONE), null);
      assertFalse(java.util.Arrays.equals(alone, otherEpoch));
      float[] eps = new float[n];
      SampleNoise.training(9, new long[] {3}, FlipMode.NONE).posteriorNoise(0, 7, eps, 0, n);
      for (int k = 0; k < n; k++) {
        float z = value(7, k, false) + 7.5f * eps[k];
        assertEquals(z * 0.18215f, alone[k], 1e-5f);
      }
      assertNotEquals(value(7, 0, false) * 0.18215f, alone[0]);
    }
  }

  @Test
  void skippedInputsAreCountedAndReported() throws IOException {
    Path dir = tmp.resolve("skips");
    DatasetWriter w = builder(dir).build();
    w.add(sample(0, false), null, 1);
    w.skip("images/n01/bad.JPEG", "cannot decode");
    w.skip("images/n02/tiny.png", "smaller than 8 pixels");
    DatasetManifest m = w.commit();
    assertEquals(2, m.skipped());
    assertEquals("skipped.txt", m.skippedReport());
    List<String> lines = Files.readAllLines(dir.resolve("skipped.txt"));
    assertEquals(List.of("images/n01/bad.JPEG\tcannot decode",
        "images/n02/tiny.png\tsmaller than 8 pixels"), lines);
    assertEquals(m, DatasetManifest.read(dir.toString(), CONF));
  }

  @Test
  void twoPhaseWritersCommitOneDataset() {
    Path dir = tmp.resolve("two-phase");
    ShardSpec spec = new ShardSpec(C, H, W, DType.F16, DatasetKind.LATENTS, false, 5, 4);
    ShardWriter p0 = ShardWriter.create(dir.toString(), "part-00000", spec, CONF);
    ShardWriter p1 = ShardWriter.create(dir.toString(), "part-00001", spec, CONF);
    for (int i = 0; i < 5; i++) {
      p0.add(sample(i, false), null, 0);
      p1.add(sample(i + 5, false), null, 1);
    }
    List<ShardEntry> entries = new java.util.ArrayList<>(p0.finish());
    entries.addAll(p1.finish());
    assertEquals(4, entries.size());
    DatasetManifest m = new DatasetManifest(1, List.of(C, H, W), DType.F16, 5, 10,
        DatasetKind.LATENTS, false, LabelMode.CLASS, Normalization.identity(),
        VaeIdentity.none(), "test", 0, null, entries);
    DatasetManifest.commit(dir.toString(), m, CONF);
    try (LatentDataset ds = open(dir)) {
      long[] y = new long[2];
      gather(ds, new long[] {4, 5}, SampleNoise.none(), y);
      assertArrayEquals(new long[] {0, 1}, y);
    }
  }

  @Test
  void verifyReadsEveryShard() {
    Path dir = writeLatents(DType.BF16, true, Normalization.identity());
    try (LatentDataset ds = open(dir)) {
      ds.verify();
      assertEquals(3, ds.label(8));
    }
  }

  @Test
  void specsEntriesAndManifestsSurviveJavaSerializationForSpark() throws Exception {
    DatasetManifest m = DatasetManifest.read(
        writeLatents(DType.F16, false, Normalization.sdVae()).toString(), CONF);
    ShardSpec spec = m.shardSpec(7);
    java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
    try (java.io.ObjectOutputStream out = new java.io.ObjectOutputStream(bytes)) {
      out.writeObject(spec);
      out.writeObject(m);
    }
    try (java.io.ObjectInputStream in = new java.io.ObjectInputStream(
        new java.io.ByteArrayInputStream(bytes.toByteArray()))) {
      assertEquals(spec, in.readObject());
      assertEquals(m, in.readObject());
    }
  }

  @Test
  void shardBuffersGrowPastTheirInitialCapacity() {
    Path dir = tmp.resolve("big-shard");
    DatasetWriter w = builder(dir).samplesPerShard(1000).withFlips(true).build();
    for (int i = 0; i < 700; i++) {
      w.add(sample(i, false), sample(i, true), i % 5);
    }
    assertEquals(List.of(700L), w.commit().shards().stream().map(ShardEntry::count).toList());
    try (LatentDataset ds = open(dir)) {
      long[] idx = {0, 255, 256, 511, 512, 699};
      long[] y = new long[idx.length];
      float[] x = gather(ds, idx, SampleNoise.none(), y);
      for (int i = 0; i < idx.length; i++) {
        assertEquals(value((int) idx[i], 3, false), x[i * C * H * W + 3], "sample " + idx[i]);
        assertEquals(idx[i] % 5, y[i]);
      }
    }
  }

  @Test
  void aTrainingSliceIsGatheredWithItsEpochsAndNoise() {
    try (LatentDataset ds = open(writeMoments());
        NDManager manager = NDManager.newBaseManager("PyTorch")) {
      ai.igspark.data.sampling.EpochSampler sampler =
          new ai.igspark.data.sampling.EpochSampler(21, N, 4);
      ai.igspark.data.sampling.BatchSlice slice = sampler.globalBatch(2); // epochs 0, 0, 1, 1
      LatentBatch b = ds.gather(slice, 21, FlipMode.NONE, manager);
      float[] want = gather(ds, slice.sampleIndices(),
          SampleNoise.training(21, slice.epochs(), FlipMode.NONE), null);
      assertArrayEquals(want, b.x().toFloatArray());
      assertEquals(slice.size(), b.size());
    }
  }
}
