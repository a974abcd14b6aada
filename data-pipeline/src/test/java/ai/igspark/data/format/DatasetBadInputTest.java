package ai.igspark.data.format;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.igspark.data.InvalidInputException;
import ai.igspark.data.sampling.SampleNoise;
import ai.igspark.tensorfile.DType;
import ai.igspark.tensorfile.HostTensor;
import ai.igspark.tensorfile.SafetensorsWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every way a dataset on disk can be wrong, each reported with the culprit's name. */
class DatasetBadInputTest {
  static final Configuration CONF = new Configuration();
  static final int SIZE = LatentDatasetTest.C * LatentDatasetTest.H * LatentDatasetTest.W;

  @TempDir Path tmp;
  Path dir;
  DatasetManifest manifest;

  @BeforeEach
  void writeDataset() {
    dir = tmp.resolve("ds");
    DatasetWriter w = LatentDatasetTest.builder(dir).storedDType(DType.F16).build();
    for (int i = 0; i < 7; i++) {
      w.add(LatentDatasetTest.sample(i, false), null, i % 5);
    }
    manifest = w.commit();
  }

  private Path shard1() {
    return dir.resolve(manifest.shards().get(1).path());
  }

  /** Opens the dataset and reads every shard; returns the error message. */
  private String readFails() {
    InvalidInputException e = assertThrows(InvalidInputException.class, () -> {
      try (LatentDataset ds = LatentDataset.open(dir.toString(), CONF,
          new LocalShardCache(tmp.resolve("cache")))) {
        ds.verify();
        float[] x = new float[SIZE];
        ds.gatherInto(new long[] {4}, SampleNoise.none(), x, new long[1]);
      }
    });
    return e.getMessage();
  }

  /** The driver's check before step 0 (headers and labels only); returns the error message. */
  private String preflightFails() {
    return assertThrows(InvalidInputException.class,
        () -> DatasetPreflight.check(dir.toString(), DatasetManifest.read(dir.toString(), CONF),
            CONF)).getMessage();
  }

  /** Replaces shard 1 and records its new digest and size, so only its content is wrong. */
  private void replaceShard1(byte[] content) throws IOException {
    Files.write(shard1(), content);
    List<ShardEntry> entries = new ArrayList<>(manifest.shards());
    ShardEntry old = entries.get(1);
    entries.set(1, new ShardEntry(old.path(), old.count(), sha256(content), content.length));
    DatasetManifest.commit(dir.toString(), withShards(entries), CONF);
  }

  private DatasetManifest withShards(List<ShardEntry> entries) {
    DatasetManifest m = manifest;
    return new DatasetManifest(m.formatVersion(), m.latentShape(), m.storedDType(),
        m.numClasses(), m.count(), m.kind(), m.hasFlip(), m.labelMode(), m.normalization(),
        m.vae(), m.source(), m.skipped(), m.skippedReport(), entries);
  }

  private static String sha256(byte[] b) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private void assertNames(String message, String culprit, String what) {
    assertTrue(message.contains(culprit), "message does not name " + culprit + ": " + message);
    assertTrue(message.contains(what), "message does not say " + what + ": " + message);
  }

  @Test
  void truncatedShardIsRejectedWithItsName() throws IOException {
    byte[] b = Files.readAllBytes(shard1());
    Files.write(shard1(), Arrays.copyOf(b, b.length - 10));
    assertNames(readFails(), shard1().getFileName().toString(), "truncated");
  }

  @Test
  void shaMismatchIsRejectedWithItsName() throws IOException {
    byte[] b = Files.readAllBytes(shard1());
    b[b.length - 20] ^= 1;
    Files.write(shard1(), b);
    assertNames(readFails(), shard1().getFileName().toString(), "sha256 mismatch");
  }

  @Test
  void shardThatIsNotSafetensorsIsRejectedWithItsName() throws IOException {
    replaceShard1("<html>this is an error page, not a shard</html>".getBytes(
        StandardCharsets.UTF_8));
    assertNames(readFails(), "shard-00001", "not safetensors");
  }

  @Test
  void tensorShapeDisagreeingWithTheManifestIsRejected() throws IOException {
    HostTensor wrong = HostTensor.ofFloatsAs(DType.F16, new long[] {3, 2, 4, 3},
        new float[3 * SIZE]);
    byte[] content = shardBytes(wrong, new long[] {0, 1, 2});
    replaceShard1(content);
    assertNames(readFails(), "shard-00001", "'latents' is F16[3, 2, 4, 3]");
  }

  @Test
  void tensorDTypeDisagreeingWithTheManifestIsRejected() throws IOException {
    HostTensor wrong = HostTensor.ofFloats(new long[] {3, 2, 3, 4}, new float[3 * SIZE]);
    replaceShard1(shardBytes(wrong, new long[] {0, 1, 2}));
    assertNames(readFails(), "shard-00001", "but the manifest says F16");
  }

  @Test
  void labelOutOfRangeIsRejectedWithItsRow() throws IOException {
    HostTensor ok = HostTensor.ofFloatsAs(DType.F16, new long[] {3, 2, 3, 4}, new float[3 * SIZE]);
    replaceShard1(shardBytes(ok, new long[] {0, 5, 2}));
    assertNames(readFails(), "shard-00001", "label 5 of row 1 is outside [0, 5)");
  }

  @Test
  void missingShardIsRejectedWithItsName() throws IOException {
    Files.delete(shard1());
    assertNames(readFails(), "shard-00001", "missing shard");
  }

  @Test
  void missingManifestMeansNoDataset() throws IOException {
    Files.delete(dir.resolve("dataset.json"));
    assertNames(readFails(), "dataset.json", "not a committed dataset");
  }

  @Test
  void crashBeforeCommitLeavesNoReadableDataset() {
    Path crashed = tmp.resolve("crashed");
    DatasetWriter w = LatentDatasetTest.builder(crashed).build();
    for (int i = 0; i < 7; i++) {
      w.add(LatentDatasetTest.sample(i, false), null, 0); // two full shards reach the disk
    }
    // the process dies here: commit() never runs
    assertTrue(Files.exists(crashed.resolve("shard-00000.safetensors")));
    assertFalse(Files.exists(crashed.resolve("dataset.json")));
    InvalidInputException e = assertThrows(InvalidInputException.class,
        () -> LatentDataset.open(crashed.toString(), CONF, new LocalShardCache(tmp)));
    assertNames(e.getMessage(), "crashed/dataset.json", "not a committed dataset");
  }

  @Test
  void commitRefusesAManifestWhoseShardIsMissing() throws IOException {
    Files.delete(shard1());
    InvalidInputException e = assertThrows(InvalidInputException.class,
        () -> DatasetManifest.commit(dir.toString(), manifest, CONF));
    assertNames(e.getMessage(), "shard-00001", "missing");
  }

  @Test
  void manifestWithAnUnknownKeyIsRejected() throws IOException {
    Path json = dir.resolve("dataset.json");
    Files.writeString(json,
        Files.readString(json).replace("\"source\"", "\"cuont\": 1, \"source\""));
    assertNames(readFails(), "dataset.json", "unknown key 'cuont'");
  }

  @Test
  void manifestCountMustEqualTheShardCounts() throws IOException {
    Path json = dir.resolve("dataset.json");
    Files.writeString(json, Files.readString(json).replace("\"count\" : 7", "\"count\" : 8"));
    assertNames(readFails(), "dataset.json", "'count' must be the sum of the shard counts (7)");
  }

  @Test
  void manifestMissingAKeyNamesIt() throws IOException {
    Path json = dir.resolve("dataset.json");
    Files.writeString(json, Files.readString(json).replace("\"stored_dtype\"", "\"x_dtype\""));
    String m = readFails();
    assertTrue(m.contains("missing key 'stored_dtype'") || m.contains("unknown key 'x_dtype'"),
        m);
  }

  @Test
  void perChannelStatsMustHaveOneValuePerChannel() {
    String json = manifest.toJson().replaceFirst(
        "\"normalization\" : \\{[^}]*\\}",
        "\"normalization\" : {\"type\": \"per_channel\", \"mean\": [0.1], \"std\": [1.0]}");
    InvalidInputException e = assertThrows(InvalidInputException.class,
        () -> DatasetManifest.fromJson(json, "m.json"));
    assertNames(e.getMessage(), "m.json", "'normalization.mean' must be 2 numbers");
  }

  @Test
  void manifestRoundTripsThroughJson() {
    DatasetManifest m = withShards(manifest.shards());
    assertTrue(m.equals(DatasetManifest.fromJson(m.toJson(), "x")));
    DatasetManifest perChannel = new DatasetManifest(1, List.of(2, 3, 4), DType.BF16, 1000, 7,
        DatasetKind.LATENTS, true, LabelMode.CLASS,
        Normalization.perChannel(new float[] {0.1f, -0.2f}, new float[] {1.5f, 0.7f}),
        new VaeIdentity("vavae-f16d32", "ab".repeat(32)), "lightningdit", 3, "skipped.txt",
        manifest.shards());
    assertTrue(perChannel.equals(DatasetManifest.fromJson(perChannel.toJson(), "y")));
  }

  /** A shard file with the given latents and labels. */
  private static byte[] shardBytes(HostTensor latents, long[] labels) throws IOException {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    new SafetensorsWriter().add("latents", latents)
        .add("labels", HostTensor.ofLongs(new long[] {labels.length}, labels)).write(out);
    return out.toByteArray();
  }

  @Test
  void preflightPassesAGoodDataset() {
    DatasetPreflight.check(dir.toString(), manifest, CONF);
  }

  @Test
  void preflightFindsALabelOutOfRange() throws IOException {
    HostTensor ok = HostTensor.ofFloatsAs(DType.F16, new long[] {3, 2, 3, 4}, new float[3 * SIZE]);
    replaceShard1(shardBytes(ok, new long[] {0, 5, 2}));
    assertNames(preflightFails(), "shard-00001", "label 5 of row 1 is outside [0, 5)");
  }

  @Test
  void preflightFindsAShardWithFewerRowsThanItsManifestEntry() throws IOException {
    HostTensor two = HostTensor.ofFloatsAs(DType.F16, new long[] {2, 2, 3, 4}, new float[2 * SIZE]);
    replaceShard1(shardBytes(two, new long[] {0, 1}));
    assertNames(preflightFails(), "shard-00001", "'latents' is F16[2, 2, 3, 4]");
  }

  @Test
  void preflightFindsAWrongDType() throws IOException {
    HostTensor wrong = HostTensor.ofFloats(new long[] {3, 2, 3, 4}, new float[3 * SIZE]);
    replaceShard1(shardBytes(wrong, new long[] {0, 1, 2}));
    assertNames(preflightFails(), "shard-00001", "but the manifest says F16");
  }

  @Test
  void preflightFindsATruncatedShard() throws IOException {
    byte[] b = Files.readAllBytes(shard1());
    Files.write(shard1(), Arrays.copyOf(b, b.length - 10));
    assertNames(preflightFails(), "shard-00001", "truncated");
  }

  @Test
  void preflightFindsAMissingShard() throws IOException {
    Files.delete(shard1());
    assertNames(preflightFails(), "shard-00001", "missing shard");
  }

  @Test
  void preflightRefusesADatasetWithNoShards() {
    DatasetManifest none = new DatasetManifest(manifest.formatVersion(), manifest.latentShape(),
        manifest.storedDType(), manifest.numClasses(), 0, manifest.kind(), manifest.hasFlip(),
        manifest.labelMode(), manifest.normalization(), manifest.vae(), manifest.source(), 0,
        manifest.skippedReport(), List.of());
    var e = assertThrows(InvalidInputException.class,
        () -> DatasetPreflight.check(dir.toString(), none, CONF));
    assertTrue(e.getMessage().contains("lists no shards"), e.getMessage());
  }
}
