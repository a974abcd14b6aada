package ai.igspark.train;

import ai.djl.ndarray.NDManager;
import ai.igspark.ckpt.DataPosition;
import ai.igspark.config.RunConfig;
import ai.igspark.data.InvalidInputException;
import ai.igspark.data.format.DatasetManifest;
import ai.igspark.data.format.LatentBatch;
import ai.igspark.data.format.LatentDataset;
import ai.igspark.data.format.LocalShardCache;
import ai.igspark.data.sampling.BatchSlice;
import ai.igspark.data.sampling.EpochSampler;
import ai.igspark.data.sampling.FlipMode;
import ai.igspark.diffusion.LossDraws;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;

/**
 * What a rank computes on at each step (docs/ARCHITECTURE.md §2 "Order", §4.2): its contiguous
 * slice of the global batch, split evenly over its replicas and cut into micro-batches, each
 * gathered from the dataset with its flips and given its {@link KeyedLossDraws}.
 */
final class RankBatches {
  private final LatentDataset data;
  private final FlipMode flip;
  private final EpochSampler sampler;
  private final KeyedLossDraws draws;
  private final long seed;
  private final int globalBatch;
  private final int microBatch;
  private final int rank;
  private final int world;

  private RankBatches(
      LatentDataset data, FlipMode flip, EpochSampler sampler, KeyedLossDraws draws, long seed,
      int globalBatch, int microBatch, int rank, int world) {
    this.data = data;
    this.flip = flip;
    this.sampler = sampler;
    this.draws = draws;
    this.seed = seed;
    this.globalBatch = globalBatch;
    this.microBatch = microBatch;
    this.rank = rank;
    this.world = world;
  }

  /** Rank {@code rank} of {@code world}'s batches of the run {@code cfg} describes. */
  static RankBatches open(RunConfig cfg, int rank, int world, Configuration conf, String appId,
      String resumeFrom) throws java.io.IOException {
    long seed = cfg.run().seed();
    int globalBatch = cfg.train().globalBatch();
    LatentDataset data = OpenDatasets.open(cfg.data().manifest(), conf, appId);
    FlipMode flip = flipMode(cfg, data.manifest());
    // The stream continues where the checkpoint left it, also after a global-batch change.
    DataPosition origin = DataPosition.read(resumeFrom, conf);
    EpochSampler sampler = new EpochSampler(seed, data.size(), globalBatch)
        .startingAt(origin.step(), origin.position());
    int microBatch = globalBatch / world / cfg.accumulationSteps(world);
    KeyedLossDraws draws =
        new KeyedLossDraws(
            seed, cfg.train().classDropout().floatValue(), cfg.train().timeSampling());
    return new RankBatches(
        data, flip, sampler, draws, seed, globalBatch, microBatch, rank, world);
  }

  /** Epochs of data consumed after {@code steps} steps (fractional). */
  double epochsAt(long steps) {
    return sampler.epochsAt(steps);
  }

  int globalBatch() {
    return globalBatch;
  }

  /**
   * Forward and backward of this rank's share of global step {@code step} on every replica, each
   * replica's micro-batches in order on its own thread of {@code threads}.
   */
  void accumulate(long step, ReplicaSet replicas, ReplicaThreads threads) {
    BatchSlice slice = sampler.rankSlice(step, rank, world);
    List<BatchSlice> parts = split(slice, replicas.size());
    List<Runnable> work = new ArrayList<>();
    for (int r = 0; r < replicas.size(); r++) {
      TrainingState replica = replicas.get(r);
      List<BatchSlice> micros = chunks(parts.get(r), microBatch);
      work.add(() -> micros.forEach(micro -> accumulate(replica, micro)));
    }
    threads.runAll(work);
  }

  /** One micro-batch on one replica; its arrays live in a sub-manager closed at the end. */
  private void accumulate(TrainingState replica, BatchSlice micro) {
    if (micro.size() == 0) {
      return;
    }
    try (NDManager m = replica.model().manager().newSubManager()) {
      LatentBatch batch = data.gather(micro, seed, flip, m);
      LossDraws d = draws.draw(micro, batch.x().getShape(), m);
      replica.step().accumulate(batch.x(), batch.y(), d, globalBatch);
    }
  }

  private static FlipMode flipMode(RunConfig cfg, DatasetManifest manifest) {
    if (cfg.data().flip() == RunConfig.Flip.NONE) {
      return FlipMode.NONE;
    }
    if (manifest.hasFlip()) {
      return FlipMode.STORED;
    }
    if ("none".equals(manifest.vae().name())) {
      return FlipMode.MIRROR; // pixel data: mirroring the array is the flipped image
    }
    throw new InvalidInputException(
        "data.flip: random, but " + cfg.data().manifest() + " holds VAE latents without"
            + " latents_flip; mirroring a latent only approximates encoding the flipped image."
            + " Set data.flip: none or import the dataset with pre-encoded flips");
  }

  /** Splits a slice into {@code parts} contiguous parts whose sizes differ by at most one. */
  static List<BatchSlice> split(BatchSlice slice, int parts) {
    List<BatchSlice> out = new ArrayList<>();
    int n = slice.size();
    int begin = 0;
    for (int p = 0; p < parts; p++) {
      int size = n / parts + (p < n % parts ? 1 : 0);
      out.add(sub(slice, begin, begin + size));
      begin += size;
    }
    return out;
  }

  /** Cuts a slice into consecutive micro-batches of at most {@code size} samples. */
  static List<BatchSlice> chunks(BatchSlice slice, int size) {
    List<BatchSlice> out = new ArrayList<>();
    for (int begin = 0; begin < slice.size(); begin += size) {
      out.add(sub(slice, begin, Math.min(slice.size(), begin + size)));
    }
    return out;
  }

  private static BatchSlice sub(BatchSlice s, int from, int to) {
    return new BatchSlice(
        s.step(),
        s.rank(),
        s.world(),
        s.globalBatch(),
        Arrays.copyOfRange(s.sampleIndices(), from, to),
        Arrays.copyOfRange(s.epochs(), from, to));
  }

  /** Datasets stay open for the life of the executor JVM (shards are copied and mapped once). */
  static final class OpenDatasets {
    private static final Map<String, LatentDataset> OPEN = new LinkedHashMap<>();

    private OpenDatasets() {}

    static synchronized LatentDataset open(String manifest, Configuration conf, String appId) {
      return OPEN.computeIfAbsent(
          manifest, m -> LatentDataset.open(m, conf, LocalShardCache.forApplication(appId)));
    }
  }
}
