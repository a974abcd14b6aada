package ai.igspark.data.bench;

import ai.djl.ndarray.NDManager;
import ai.igspark.data.format.DatasetManifest;
import ai.igspark.data.format.DatasetPreflight;
import ai.igspark.data.format.DatasetWriter;
import ai.igspark.data.format.LatentBatch;
import ai.igspark.data.format.LatentDataset;
import ai.igspark.data.format.LocalShardCache;
import ai.igspark.data.format.Normalization;
import ai.igspark.data.sampling.BatchSlice;
import ai.igspark.data.sampling.EpochSampler;
import ai.igspark.data.sampling.SampleNoise;
import ai.igspark.tensorfile.DType;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;

/**
 * Random-batch reader throughput: writes a synthetic latent dataset into a temporary directory,
 * opens it, and gathers batches in epoch-permutation order on the calling thread (one core).
 * Measures the reader ({@link LatentDataset#gatherInto}: mapped shards to a normalised float32
 * batch) and, separately, the same plus the copy into DJL arrays ({@link LatentDataset#gather}).
 */
public final class ReaderBenchmark {
  private ReaderBenchmark() {}

  /**
   * @param samples dataset size
   * @param channels C
   * @param height H
   * @param width W
   * @param stored stored dtype
   * @param batch samples per gathered batch
   * @param seconds measuring time per variant (after warm-up)
   * @param withNdArrays also measure {@code gather} into DJL arrays
   * @param workDir where the temporary dataset goes (deleted afterwards)
   */
  public record Settings(int samples, int channels, int height, int width, DType stored,
      int batch, double seconds, boolean withNdArrays, Path workDir) {
    /** SD-VAE-sized latents (4×32×32, F16), batch 256, 50,000 samples. */
    public static Settings sdVae(Path workDir) {
      return new Settings(50_000, 4, 32, 32, DType.F16, 256, 5.0, true, workDir);
    }
  }

  /**
   * @param readerSamplesPerSecond gatherInto throughput (wall clock)
   * @param readerSamplesPerCpuSecond gatherInto throughput per second of this thread's CPU time
   *     (user + system): the one-core figure, robust to other processes sharing the machine
   * @param ndArraySamplesPerSecond gather (with DJL arrays) throughput, or 0 when not measured
   * @param ndArraySamplesPerCpuSecond the same per second of this thread's CPU time
   * @param batches batches gathered by the reader measurement
   * @param writeSeconds time to write the synthetic dataset
   * @param datasetBytes bytes of shards on disk
   * @param headersAndLabelsSeconds the driver's check before step 0 (DatasetPreflight.check)
   * @param digestSeconds the driver's size and SHA-256 check of every shard (checkFiles)
   */
  public record Result(Settings settings, double readerSamplesPerSecond,
      double readerSamplesPerCpuSecond, double ndArraySamplesPerSecond,
      double ndArraySamplesPerCpuSecond, long batches,
      double writeSeconds, long datasetBytes, double headersAndLabelsSeconds,
      double digestSeconds) {
    public String summary() {
      Settings s = settings;
      return String.format(
          "reader: %,.0f samples/s wall, %,.0f samples/s per CPU-second "
              + "(%d×%d×%d %s, batch %d, %,d samples, %.1f MB of shards)%n"
              + "reader + DJL NDArray: %s%n"
              + "dataset written in %.1f s%n"
              + "preflight: headers and labels %.3f s (%.2f s per million samples),"
              + " size and SHA-256 %.2f s (%.2f s per GB)",
          readerSamplesPerSecond, readerSamplesPerCpuSecond, s.channels(), s.height(), s.width(),
          s.stored(), s.batch(),
          s.samples(), datasetBytes / 1e6,
          ndArraySamplesPerSecond > 0 ? String.format("%,.0f samples/s wall, %,.0f samples/s per "
              + "CPU-second", ndArraySamplesPerSecond, ndArraySamplesPerCpuSecond)
              : "not measured",
          writeSeconds, headersAndLabelsSeconds,
          headersAndLabelsSeconds * 1e6 / s.samples(), digestSeconds,
          digestSeconds * 1e9 / datasetBytes);
    }
  }

  public static Result run(Settings s) {
    Path dir;
    try {
      Files.createDirectories(s.workDir());
      dir = Files.createTempDirectory(s.workDir(), "reader-bench");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    try {
      long t0 = System.nanoTime();
      writeDataset(dir.resolve("data"), s);
      double writeSeconds = (System.nanoTime() - t0) / 1e9;
      long bytes = sizeOf(dir.resolve("data"));
      Configuration conf = new Configuration();
      String data = dir.resolve("data").toString();
      DatasetManifest manifest = DatasetManifest.read(data, conf);
      long p0 = System.nanoTime();
      DatasetPreflight.check(data, manifest, conf);
      double headersAndLabels = (System.nanoTime() - p0) / 1e9;
      p0 = System.nanoTime();
      DatasetPreflight.checkFiles(data, manifest, conf);
      double digests = (System.nanoTime() - p0) / 1e9;
      try (LatentDataset ds = LatentDataset.open(dir.resolve("data").toString(), conf,
          new LocalShardCache(dir.resolve("cache")))) {
        EpochSampler sampler = new EpochSampler(0, s.samples(), s.batch());
        float[] x = new float[s.batch() * s.channels() * s.height() * s.width()];
        long[] y = new long[s.batch()];
        // warm-up: map every shard, let the JIT compile the gather loop
        long step = 0;
        long warmEnd = System.nanoTime() + 1_000_000_000L;
        while (System.nanoTime() < warmEnd) {
          BatchSlice b = sampler.globalBatch(step++);
          ds.gatherInto(b.sampleIndices(), SampleNoise.none(), x, y);
        }
        java.lang.management.ThreadMXBean threads =
            java.lang.management.ManagementFactory.getThreadMXBean();
        long batches = 0;
        long cpuStart = threads.getCurrentThreadCpuTime();
        long start = System.nanoTime();
        long end = start + (long) (s.seconds() * 1e9);
        long now;
        do {
          BatchSlice b = sampler.globalBatch(step++);
          ds.gatherInto(b.sampleIndices(), SampleNoise.none(), x, y);
          batches++;
        } while ((now = System.nanoTime()) < end);
        double reader = batches * s.batch() / ((now - start) / 1e9);
        double cpuSeconds = (threads.getCurrentThreadCpuTime() - cpuStart) / 1e9;
        double readerCpu = batches * s.batch() / cpuSeconds;
        double withNd = 0;
        double withNdCpu = 0;
        if (s.withNdArrays()) {
          try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
            long nd = 0;
            cpuStart = threads.getCurrentThreadCpuTime();
            start = System.nanoTime();
            end = start + (long) (s.seconds() * 1e9);
            do {
              BatchSlice b = sampler.globalBatch(step++);
              try (NDManager sub = manager.newSubManager();
                  LatentBatch lb = ds.gather(b.sampleIndices(), SampleNoise.none(), sub)) {
                nd += lb.size();
              }
            } while ((now = System.nanoTime()) < end);
            withNd = nd / ((now - start) / 1e9);
            withNdCpu = nd / ((threads.getCurrentThreadCpuTime() - cpuStart) / 1e9);
          }
        }
        return new Result(s, reader, readerCpu, withNd, withNdCpu, batches, writeSeconds, bytes,
            headersAndLabels, digests);
      }
    } finally {
      deleteRecursively(dir);
    }
  }

  private static void writeDataset(Path dir, Settings s) {
    int size = s.channels() * s.height() * s.width();
    long perSample = (long) size * s.stored().byteSize();
    DatasetWriter w = DatasetWriter.to(dir.toString())
        .latentShape(s.channels(), s.height(), s.width()).storedDType(s.stored()).numClasses(1000)
        .normalization(Normalization.sdVae()).vae("synthetic").source("ReaderBenchmark")
        .samplesPerShard((int) Math.max(1, (100L << 20) / perSample)).build();
    SplittableRandom random = new SplittableRandom(1);
    float[] z = new float[size];
    for (int i = 0; i < s.samples(); i++) {
      for (int k = 0; k < size; k++) {
        z[k] = (float) (random.nextDouble() * 8 - 4);
      }
      w.add(z, null, random.nextInt(1000));
    }
    w.commit();
  }

  private static long sizeOf(Path dir) {
    try (Stream<Path> files = Files.walk(dir)) {
      return files.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void deleteRecursively(Path dir) {
    try (Stream<Path> files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // best effort: the directory is under a temp dir
    }
  }

  /** {@code ReaderBenchmark [samples] [seconds]}: runs the SD-VAE setting and prints a summary. */
  public static void main(String[] args) {
    Settings d = Settings.sdVae(Path.of(System.getProperty("java.io.tmpdir")));
    int samples = args.length > 0 ? Integer.parseInt(args[0]) : d.samples();
    double seconds = args.length > 1 ? Double.parseDouble(args[1]) : d.seconds();
    Settings s = new Settings(samples, d.channels(), d.height(), d.width(), d.stored(), d.batch(),
        seconds, true, d.workDir());
    System.out.println(run(s).summary());
  }
}
