package ai.igspark.train;

import ai.igspark.data.format.DatasetKind;
import ai.igspark.data.format.DatasetWriter;
import ai.igspark.data.format.Normalization;
import ai.igspark.tensorfile.DType;
import ai.igspark.tensorfile.SafetensorsFile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;

/** A tiny pixel dataset and run config for end-to-end training tests (seconds on one core). */
public final class TinyRun {
  static final int SAMPLES = 48;

  private TinyRun() {}

  /** 48 samples of 1×8×8 in [−1, 1], 4 classes, each class a different bright quadrant. */
  public static String dataset(Path dir) {
    return dataset(dir, "tiny-data", i -> false);
  }

  /** The tiny dataset with every value of the {@code poisoned} samples NaN. */
  static String dataset(Path dir, String name, java.util.function.IntPredicate poisoned) {
    SplittableRandom rng = new SplittableRandom(11);
    String uri = dir.resolve(name).toString();
    DatasetWriter w =
        DatasetWriter.to(uri)
            .latentShape(1, 8, 8)
            .storedDType(DType.F32)
            .numClasses(4)
            .kind(DatasetKind.LATENTS)
            .withFlips(false)
            .normalization(Normalization.identity())
            .vae("none")
            .source("TinyRun")
            .samplesPerShard(20)
            .build();
    {
      for (int i = 0; i < SAMPLES; i++) {
        int label = i % 4;
        float[] x = new float[64];
        for (int p = 0; p < 64; p++) {
          int row = p / 8;
          int col = p % 8;
          boolean bright = (row < 4) == (label < 2) && (col < 4) == (label % 2 == 0);
          x[p] = (bright ? 0.8f : -0.8f) + (float) (0.1 * rng.nextGaussian());
        }
        if (poisoned.test(i)) {
          java.util.Arrays.fill(x, Float.NaN);
        }
        w.add(x, null, label);
      }
      w.commit();
    }
    return uri + "/dataset.json";
  }

  /** A run config (YAML) with a 2-block SiT+IG on the tiny dataset. */
  public static Path config(Path dir, String name, String runDir, String manifest, long steps,
      long everySteps, int world) throws IOException {
    return config(dir, name, runDir, manifest, steps, everySteps, world, 1);
  }

  /** As above, with {@code replicas} model replicas per task (the multi-device path on CPU). */
  static Path config(Path dir, String name, String runDir, String manifest, long steps,
      long everySteps, int world, int replicas) throws IOException {
    String yaml =
        """
        run: {dir: "%s", name: %s, seed: 3}
        data: {manifest: "%s", flip: random}
        model:
          family: sit
          input_size: 8
          in_channels: 1
          patch_size: 2
          hidden_size: 32
          depth: 2
          num_heads: 2
          num_classes: 4
          ig_depth: 1
        train:
          global_batch: 8
          steps: %d
          optimizer: {name: adamw, lr: 1.0e-3}
          ema_decay: 0.9
          log_every: 1
        cluster: {world_size: %d, max_retries: 1, backoff_seconds: 0, cpu_replicas: %d}
        checkpoint: {every_steps: %d, keep: 5}
        """
            .formatted(runDir, name, manifest, steps, world, replicas, everySteps);
    Path file = dir.resolve(name + "-" + steps + "-" + replicas + ".yaml");
    Files.writeString(file, yaml);
    return file;
  }

  /** Every tensor of a safetensors file as floats, concatenated in file order. */
  static float[] floats(Path safetensors) throws IOException {
    try (SafetensorsFile f = SafetensorsFile.open(safetensors)) {
      java.util.List<float[]> parts = new java.util.ArrayList<>();
      int n = 0;
      for (String name : f.names()) {
        float[] p = f.read(name).toFloats();
        parts.add(p);
        n += p.length;
      }
      float[] out = new float[n];
      int at = 0;
      for (float[] p : parts) {
        System.arraycopy(p, 0, out, at, p.length);
        at += p.length;
      }
      return out;
    }
  }

  /** {@code config} with its {@code cluster:} line replaced by {@code cluster}. */
  static Path withCluster(Path config, String cluster) throws IOException {
    String yaml = Files.readString(config);
    Files.writeString(config, yaml.replaceAll("(?m)^cluster: \\{.*}$", "cluster: " + cluster));
    return config;
  }

  /** The raw bytes of every tensor of a committed checkpoint file, for bitwise comparison. */
  public static byte[] tensorBytes(Path safetensors) throws IOException {
    try (SafetensorsFile f = SafetensorsFile.open(safetensors)) {
      java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
      for (String name : f.names()) {
        java.nio.ByteBuffer b = f.read(name).data();
        byte[] bytes = new byte[b.remaining()];
        b.get(bytes);
        out.write(name.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        out.write(bytes);
      }
      return out.toByteArray();
    }
  }
}
