package ai.igspark.train;

import ai.igspark.config.RunConfig;
import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.igspark.ckpt.CheckpointReader;
import ai.igspark.ckpt.CheckpointWriter;
import ai.igspark.ckpt.DataPosition;
import ai.igspark.ckpt.FileEntry;
import ai.igspark.data.InvalidInputException;
import ai.igspark.data.LoopbackOnly;
import ai.igspark.data.config.TypedConfig;
import ai.igspark.data.format.DatasetManifest;
import ai.igspark.data.format.LatentBatch;
import ai.igspark.data.format.LatentDataset;
import ai.igspark.data.format.LocalShardCache;
import ai.igspark.data.ingest.HadoopConfiguration;
import ai.igspark.data.sampling.BatchSlice;
import ai.igspark.data.sampling.CounterRng;
import ai.igspark.data.sampling.EpochSampler;
import ai.igspark.data.sampling.FlipMode;
import ai.igspark.diffusion.LossDraws;
import ai.igspark.diffusion.TimeSampling;
import ai.igspark.collective.Collective;
import ai.igspark.collective.LocalCollective;
import ai.igspark.spark.RankContext;
import ai.igspark.spark.RankTask;
import ai.igspark.collective.RingOptions;
import ai.igspark.collective.TcpRingCollective;
import ai.igspark.model.ModelConfig;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;

/**
 * One rank's part of a training segment (docs/ARCHITECTURE.md §4): load or reuse state, then for
 * each step gather this rank's slice of the global batch, compute gradients on every local
 * replica, sum them locally, all-reduce them over the ring, and apply the same update on every
 * replica; at the end rank 0 writes the checkpoint files into the attempt directory.
 *
 * <p>Every random draw is keyed by (seed, epoch, sample index), never by rank or order, so a
 * step's result depends only on the global batch: runs with different world sizes agree up to
 * summation order, and a resumed run is bitwise equal to an uninterrupted one.
 */
public final class SegmentTrainer implements RankTask<SegmentReport> {
  private static final long serialVersionUID = 1L;
  /** Stream id of the loss draws (t, ε, label dropout) in {@link CounterRng#key}. */
  private static final long LOSS_STREAM = 0x4c4f5353L;

  private final String runYaml;
  private final String modelJson;
  private final long startStep;
  private final long endStep;
  private final String resumeFrom;
  private final String attemptUri;
  private final HadoopConfiguration hadoop;
  private final byte[] ringSecret;
  private final String applicationId;

  /**
   * @param runYaml the resolved run config (YAML)
   * @param modelJson the resolved model config (JSON)
   * @param startStep the committed step this segment starts from
   * @param endStep the step it trains to
   * @param resumeFrom the committed checkpoint directory of {@code startStep}, or null to start
   *     from the initialisation (step 0)
   * @param attemptUri the attempt directory rank 0 writes the checkpoint into
   * @param ringSecret the application's secret that authenticates ring peers
   * @param applicationId names the executor-local shard cache
   */
  public SegmentTrainer(
      String runYaml,
      String modelJson,
      long startStep,
      long endStep,
      String resumeFrom,
      String attemptUri,
      HadoopConfiguration hadoop,
      byte[] ringSecret,
      String applicationId) {
    this.runYaml = runYaml;
    this.modelJson = modelJson;
    this.startStep = startStep;
    this.endStep = endStep;
    this.resumeFrom = resumeFrom;
    this.attemptUri = attemptUri;
    this.hadoop = hadoop;
    this.ringSecret = ringSecret.clone();
    this.applicationId = applicationId;
  }

  @Override
  public SegmentReport run(RankContext ctx) throws Exception {
    LoopbackOnly.apply();
    long t0 = System.nanoTime();
    FaultInjection.atSegmentStart(ctx.rank());
    RunConfig cfg = RunConfig.fromTree(TypedConfig.mapper().readTree(runYaml), "run.yaml");
    ModelConfig modelConfig =
        ModelConfig.fromTree(TypedConfig.mapper().readTree(modelJson), "run.yaml: model");
    // Before any replica touches a device: libtorch checks, visible GPUs, cuDNN benchmark flag.
    CudaSettings.apply(cfg.gpu(), ctx.devices());
    Configuration conf = hadoop.get();
    long seed = cfg.run().seed();
    int globalBatch = cfg.train().globalBatch();
    int world = ctx.worldSize();

    LatentDataset data = OpenDatasets.open(cfg.data().manifest(), conf, applicationId);
    FlipMode flip = flipMode(cfg, data.manifest());
    // The stream continues where the checkpoint left it, also after a global-batch change.
    DataPosition origin = DataPosition.read(resumeFrom, conf);
    EpochSampler sampler = new EpochSampler(seed, data.size(), globalBatch)
        .startingAt(origin.step(), origin.position());
    int microBatch = globalBatch / world / cfg.accumulationSteps(world);
    TimeSampling time = cfg.train().timeSampling();

    boolean warm = false;
    List<TrainingState> replicas;
    Optional<List<TrainingState>> cached = WarmCache.take(ctx.runId(), startStep);
    if (cached.isPresent() && cached.get().size() == ctx.devices().size()) {
      replicas = cached.get();
      warm = true;
    } else {
      cached.ifPresent(list -> list.forEach(TrainingState::close));
      replicas = new ArrayList<>();
      for (Device device : ctx.devices()) {
        replicas.add(
            TrainingState.create(
                modelConfig,
                cfg.train(),
                device,
                seed,
                resumeFrom == null ? null : name -> open(resumeFrom, name, conf),
                startStep,
                resumeFrom));
      }
    }
    long startMillis = (System.nanoTime() - t0) / 1_000_000;

    long trainStart = System.nanoTime();
    long skipped = 0;
    int consecutiveSkips = 0;
    long diverged = -1;
    long step = startStep;
    boolean done = false;
    TrainingState lead = replicas.get(0);
    GradientBuckets buckets =
        GradientBuckets.plan(lead.step().parameterSizes(), cfg.cluster().ring().bucketFloats());
    try (Collective ring = collective(ctx, cfg);
        GradientSync sync =
            world > 1 || replicas.size() > 1
                ? new GradientSync(buckets, world > 1 ? ring : null, 3)
                : null) {
      for (; step < endStep; step++) {
        long stepStart = System.nanoTime();
        BatchSlice slice = sampler.rankSlice(step, ctx.rank(), world);
        List<BatchSlice> parts = split(slice, replicas.size());
        for (int r = 0; r < replicas.size(); r++) {
          for (BatchSlice micro : chunks(parts.get(r), microBatch)) {
            accumulate(replicas.get(r), data, micro, seed, flip, cfg, time, globalBatch);
          }
        }
        // Loss sums stay on the devices between log steps; every rank agrees which steps those
        // are, so the sums ride with the gradients there and are zeros otherwise.
        boolean logStep = (step + 1) % cfg.train().logEvery() == 0 || step + 1 == endStep;
        double[] sums = lossSums(replicas, logStep); // Σ l_final, Σ l_inter, Σ l_cos
        if (sync != null) {
          FaultInjection.beforeAllReduce(ctx.rank(), step);
          sums = sumEverywhere(sync, replicas, sums);
        }
        UpdateResultSummary update = applyEverywhere(replicas); // one host read: the norm
        if (!update.applied()) {
          skipped++;
          consecutiveSkips++;
          if (consecutiveSkips > cfg.train().maxConsecutiveSkips()) {
            diverged = step;
            break;
          }
        } else {
          consecutiveSkips = 0;
        }
        if (ctx.rank() == 0) {
          long now = System.nanoTime();
          double seconds = (now - stepStart) / 1e9;
          Map<String, Object> m = new LinkedHashMap<>();
          m.put("type", "step");
          m.put("step", step + 1);
          m.put("epoch", sampler.epochsAt(step + 1));
          if (logStep) {
            m.put("loss_final", sums[0] / globalBatch);
            m.put("loss_ig", sums[1] / globalBatch);
            m.put("loss_cos", sums[2] / globalBatch);
          }
          m.put("grad_norm", update.gradNorm());
          m.put("lr", update.lr());
          m.put("samples_per_s", globalBatch / seconds);
          m.put("skipped_steps", skipped);
          m.put("applied", update.applied());
          ctx.metrics().publish(m);
        }
      }
      done = true;
    } finally {
      if (!done) {
        replicas.forEach(TrainingState::close);
      }
    }
    long trainMillis = (System.nanoTime() - trainStart) / 1_000_000;

    // The ring is closed by now: the checkpoint phase makes no collective calls, so a slow
    // writer cannot trip a peer's step deadline (docs/RELIABILITY.md).
    FileEntry[] files = new FileEntry[0];
    if (diverged < 0 && ctx.rank() == 0) {
      FaultInjection.beforeCheckpoint(ctx.rank());
      CheckpointWriter writer = CheckpointWriter.open(URI.create(attemptUri), conf);
      files = replicas.get(0).save(writer).toArray(new FileEntry[0]);
    }
    if (diverged < 0) {
      WarmCache.put(ctx.runId(), endStep, replicas);
    } else {
      replicas.forEach(TrainingState::close);
    }
    return new SegmentReport(
        ctx.rank(), step, files, skipped, diverged, warm, startMillis, trainMillis);
  }

  /** Forward and backward of one micro-batch on one replica, with per-sample keyed draws. */
  private static void accumulate(
      TrainingState replica,
      LatentDataset data,
      BatchSlice micro,
      long seed,
      FlipMode flip,
      RunConfig cfg,
      TimeSampling time,
      int globalBatch) {
    if (micro.size() == 0) {
      return;
    }
    try (NDManager m = replica.model().manager().newSubManager()) {
      LatentBatch batch = data.gather(micro, seed, flip, m);
      LossDraws draws = drawsFor(micro, batch.x().getShape(), seed, cfg, time, m);
      replica.step().accumulate(batch.x(), batch.y(), draws, globalBatch);
    }
  }

  /**
   * This rank's loss sums over its replicas (replica order, double) on a log step, read with one
   * transfer per replica; zeros otherwise, with the device-side sums dropped unread.
   */
  private static double[] lossSums(List<TrainingState> replicas, boolean read) {
    double[] sums = new double[3];
    for (TrainingState s : replicas) {
      if (read) {
        double[] r = s.step().takeLossSums();
        for (int i = 0; i < 3; i++) {
          sums[i] += r[i];
        }
      } else {
        s.step().discardLossSums();
      }
    }
    return sums;
  }

  /**
   * t, ε and the label-dropout coin of every sample from a generator keyed by (seed, epoch,
   * sample index): the same sample at the same position of the sample stream always gets the same
   * draws, whatever rank or replica computes it.
   */
  static LossDraws drawsFor(
      BatchSlice slice, Shape shape, long seed, RunConfig cfg, TimeSampling time, NDManager m) {
    int n = slice.size();
    int perSample = Math.toIntExact(shape.size() / n);
    float dropProb = cfg.train().classDropout().floatValue();
    float[] t = new float[n];
    float[] noise = new float[n * perSample];
    boolean[] drop = new boolean[n];
    long[] indices = slice.sampleIndices();
    long[] epochs = slice.epochs();
    for (int i = 0; i < n; i++) {
      SplittableRandom rng =
          new SplittableRandom(CounterRng.key(seed, epochs[i], indices[i], LOSS_STREAM));
      t[i] = time.draw(rng);
      for (int j = 0; j < perSample; j++) {
        noise[i * perSample + j] = (float) rng.nextGaussian();
      }
      drop[i] = rng.nextFloat() < dropProb;
    }
    NDArray dropMask = m.create(drop).toType(DataType.BOOLEAN, false);
    return new LossDraws(m.create(t), m.create(noise, shape), dropMask);
  }

  /**
   * Sums the gradients over replicas and ranks into every replica, and the loss sums (carried as
   * floats with the last bucket) over ranks.
   */
  private static double[] sumEverywhere(
      GradientSync sync, List<TrainingState> replicas, double[] sums) {
    try (NDScope scope = new NDScope()) {
      List<List<NDArray>> grads = new ArrayList<>(replicas.size());
      for (TrainingState s : replicas) {
        grads.add(s.step().gradientArrays());
      }
      float[] total =
          sync.allReduce(grads, new float[] {(float) sums[0], (float) sums[1], (float) sums[2]});
      return new double[] {total[0], total[1], total[2]};
    }
  }

  /**
   * The update on every replica (identical gradients give identical results). The global norm is
   * read once, from replica 0, and decides clipping and skipping on all of them.
   */
  private static UpdateResultSummary applyEverywhere(List<TrainingState> replicas) {
    double norm = replicas.get(0).step().gradientNorm();
    UpdateResult first = null;
    for (TrainingState s : replicas) {
      UpdateResult u = s.step().applyUpdate(norm);
      if (first == null) {
        first = u;
      }
    }
    return new UpdateResultSummary(first.applied(), first.gradNorm(), first.lr());
  }

  private record UpdateResultSummary(boolean applied, double gradNorm, float lr) {}

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

  private Collective collective(RankContext ctx, RunConfig cfg) throws IOException {
    if (ctx.worldSize() == 1) {
      return new LocalCollective();
    }
    RingOptions options = ringOptions(cfg.cluster());
    return TcpRingCollective.connect(
        ctx.rank(),
        ctx.peers(),
        ctx.listener(),
        new TcpRingCollective.Session(ctx.runId(), ctx.segment(), ctx.attemptNonce()),
        ringSecret,
        options,
        ctx.cancelled());
  }

  /** The ring's settings from {@code cluster} and {@code cluster.ring}. */
  static RingOptions ringOptions(RunConfig.Cluster cluster) {
    RunConfig.Ring ring = cluster.ring();
    return RingOptions.defaults()
        .withBucketBytes(ring.bucketMib() << 20)
        .withWireDtype(ring.wire() == RunConfig.Wire.BF16
            ? RingOptions.WireDtype.BF16 : RingOptions.WireDtype.FP32)
        .withChannels(ring.lanes())
        .withStepDeadline(seconds(cluster.stepDeadlineSeconds()))
        .withCheckpointDeadline(seconds(cluster.checkpointDeadlineSeconds()));
  }

  private static Duration seconds(double s) {
    return Duration.ofMillis(Math.round(s * 1000));
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

  private static java.io.InputStream open(String dir, String name, Configuration conf)
      throws IOException {
    // Verified against the checkpoint's manifest while it streams (docs/RELIABILITY.md).
    return CheckpointReader.open(new Path(dir, name).toString(), conf);
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
