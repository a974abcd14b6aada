package ai.igspark.data.ingest;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.igspark.data.InvalidInputException;
import ai.igspark.data.format.DatasetKind;
import ai.igspark.data.format.DatasetManifest;
import ai.igspark.data.format.Normalization;
import ai.igspark.data.format.ShardEntry;
import ai.igspark.tensorfile.DType;
import ai.igspark.tensorfile.HostTensor;
import ai.igspark.tensorfile.Npy;
import ai.igspark.tensorfile.SafetensorsFile;
import ai.igspark.tensorfile.TorchCheckpoint;
import ai.igspark.testsupport.Fixtures;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Imports of LightningDiT shards and REPA/EDM2 vae-sd folders, in their upstream layouts. */
class LatentImportTest {
  @TempDir Path tmp;

  private static float[] concat(List<float[]> parts) {
    int n = parts.stream().mapToInt(a -> a.length).sum();
    float[] out = new float[n];
    int at = 0;
    for (float[] p : parts) {
      System.arraycopy(p, 0, out, at, p.length);
      at += p.length;
    }
    return out;
  }

  /** A tensor over all shards of a committed dataset, in order. */
  private float[] readAll(DatasetManifest m, String name) {
    List<float[]> parts = new ArrayList<>();
    for (ShardEntry s : m.shards()) {
      try (SafetensorsFile f = SafetensorsFile.open(tmp.resolve("out").resolve(s.path()))) {
        parts.add(f.read(name).toFloats());
      }
    }
    return concat(parts);
  }

  private List<Long> readLabels(DatasetManifest m) {
    List<Long> labels = new ArrayList<>();
    for (ShardEntry s : m.shards()) {
      try (SafetensorsFile f = SafetensorsFile.open(tmp.resolve("out").resolve(s.path()))) {
        for (long l : f.read("labels").toLongs()) {
          labels.add(l);
        }
      }
    }
    return labels;
  }

  private DatasetManifest importLightningDit(Path source) {
    return LightningDitImport.run(
        new LightningDitImport.Options(source, null, tmp.resolve("out").toString(), 1000, null,
            "vavae-f16d32", false),
        new Configuration(), Progress.SILENT);
  }

  @Test
  void lightningDitShardsKeepLatentsFlipsLabelsAndChannelStats() {
    Path src = Fixtures.path("lightningdit/imagenet_train_256");
    DatasetManifest m = importLightningDit(src);
    assertEquals(8, m.count());
    assertEquals(List.of(32, 4, 4), m.latentShape());
    assertTrue(m.hasFlip());
    assertEquals(DatasetKind.LATENTS, m.kind());
    assertEquals(DType.F32, m.storedDType());
    assertEquals(1000, m.numClasses());

    Map<String, HostTensor> stats =
        TorchCheckpoint.read(src.resolve("latents_stats.pt")).stateDict();
    assertEquals(Normalization.perChannel(stats.get("mean").toFloats(),
        stats.get("std").toFloats()), m.normalization());

    List<float[]> z = new ArrayList<>();
    List<float[]> zf = new ArrayList<>();
    List<Long> labels = new ArrayList<>();
    for (String shard : List.of("latents_rank00_shard000", "latents_rank00_shard001")) {
      try (SafetensorsFile f = SafetensorsFile.open(src.resolve(shard + ".safetensors"))) {
        z.add(f.read("latents").toFloats());
        zf.add(f.read("latents_flip").toFloats());
        for (long l : f.read("labels").toLongs()) {
          labels.add(l);
        }
      }
    }
    assertArrayEquals(concat(z), readAll(m, "latents"));
    assertArrayEquals(concat(zf), readAll(m, "latents_flip"));
    assertEquals(labels, readLabels(m));
  }

  @Test
  void lightningDitShardWithoutLabelsIsNamed() {
    Path src = Fixtures.path("lightningdit/no_labels");
    InvalidInputException e =
        assertThrows(InvalidInputException.class, () -> importLightningDit(src));
    assertTrue(e.getMessage().contains(
        src.resolve("latents_rank00_shard000.safetensors").toString()), e.getMessage());
    assertTrue(e.getMessage().contains("'labels'"), e.getMessage());
    assertFalse(Files.exists(tmp.resolve("out/dataset.json")));
  }

  @Test
  void lightningDitWithoutStatsFileNamesIt() throws Exception {
    Path src = tmp.resolve("nostats");
    Files.createDirectories(src);
    Files.copy(Fixtures.path("lightningdit/imagenet_train_256/latents_rank00_shard000.safetensors"),
        src.resolve("latents_rank00_shard000.safetensors"));
    InvalidInputException e =
        assertThrows(InvalidInputException.class, () -> importLightningDit(src));
    assertTrue(e.getMessage().contains(src.resolve("latents_stats.pt").toString()),
        e.getMessage());
  }

  private DatasetManifest importEdm2(Path source) {
    return Edm2Import.run(
        new Edm2Import.Options(source, tmp.resolve("out").toString(), 1000, DType.F32,
            "sd-vae-ft-mse", false),
        new Configuration(), Progress.SILENT);
  }

  @Test
  void edm2PosteriorsBecomeMomentsWithSdVaeScale() throws Exception {
    Path src = Fixtures.path("edm2"); // the parent of vae-sd/ is accepted too
    DatasetManifest m = importEdm2(src);
    assertEquals(4, m.count());
    assertEquals(DatasetKind.MOMENTS, m.kind());
    assertEquals(List.of(4, 32, 32), m.latentShape());
    assertEquals(Normalization.sdVae(), m.normalization());
    assertEquals(0.18215f, m.normalization().scale());

    JsonNode entries = new ObjectMapper()
        .readTree(src.resolve("vae-sd/dataset.json").toFile()).get("labels");
    List<float[]> means = new ArrayList<>();
    List<float[]> stds = new ArrayList<>();
    List<Long> labels = new ArrayList<>();
    for (JsonNode e : entries) { // the generator wrote them in sorted order
      float[] v = Npy.read(src.resolve("vae-sd").resolve(e.get(0).asText())).toFloats();
      means.add(java.util.Arrays.copyOfRange(v, 0, 4096));
      stds.add(java.util.Arrays.copyOfRange(v, 4096, 8192));
      labels.add(e.get(1).asLong());
    }
    assertArrayEquals(concat(means), readAll(m, "moments_mean"));
    assertArrayEquals(concat(stds), readAll(m, "moments_std"));
    assertEquals(labels, readLabels(m));
  }

  @Test
  void edm2EntryPointingToAMissingFileIsNamed() throws Exception {
    Path vaeSd = tmp.resolve("copy/vae-sd");
    Files.createDirectories(vaeSd.resolve("00000"));
    Path orig = Fixtures.path("edm2/vae-sd");
    Files.copy(orig.resolve("dataset.json"), vaeSd.resolve("dataset.json"));
    for (int i = 0; i < 3; i++) { // file 3 is left out
      String rel = String.format("00000/img-mean-std-%08d.npy", i);
      Files.copy(orig.resolve(rel), vaeSd.resolve(rel));
    }
    InvalidInputException e =
        assertThrows(InvalidInputException.class, () -> importEdm2(vaeSd));
    assertTrue(e.getMessage().contains(vaeSd.resolve("dataset.json").toString()),
        e.getMessage());
    assertTrue(e.getMessage().contains("00000/img-mean-std-00000003.npy"), e.getMessage());
  }

  @Test
  void edm2FolderWithoutDatasetJsonIsNamed() {
    Path empty = tmp.resolve("empty");
    InvalidInputException e =
        assertThrows(InvalidInputException.class, () -> importEdm2(empty));
    assertTrue(e.getMessage().contains(empty.toString()), e.getMessage());
  }
}
