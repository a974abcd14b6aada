package ai.igspark.config;

import ai.igspark.data.InvalidInputException;
import ai.igspark.data.config.TypedConfig;
import ai.igspark.diffusion.IgLoss;
import ai.igspark.diffusion.TimeSampling;
import ai.igspark.eval.SamplerKey;
import ai.igspark.eval.SamplerSpec;
import ai.igspark.eval.SamplerSpecParser;
import ai.igspark.metrics.EvalMetric;
import ai.igspark.optim.Ema;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A run configuration (YAML), read strictly by {@link TypedConfig}: unknown keys, wrong types and
 * out-of-range values are {@link InvalidInputException}s naming the key path. Absent keys take the
 * defaults of the paper's SiT recipe (docs/METHOD.md §2.5); {@link #toTree()} gives the
 * resolved configuration with every default written out, which is what run.yaml stores.
 *
 * <p>The {@code model} section is kept as a raw tree: its owner parses it with {@code
 * ModelConfig.fromTree(tree, source)}. It is {@code {preset: NAME}} with optional overrides, the
 * full set of keys, or just a preset name ({@code model: SiT-B/2}).
 *
 * <p>Longer than most classes on purpose: it is the schema of run.yaml, one nested record per
 * section with its defaults and range checks, kept in one file so that it reads top to bottom
 * like the YAML it parses.
 */
public record RunConfig(
    Run run,
    Data data,
    JsonNode model,
    Train train,
    Cluster cluster,
    Checkpoint checkpoint,
    Eval eval,
    Gpu gpu) {

  public RunConfig {
    require(run, "run");
    require(data, "data");
    require(train, "train");
    if (model == null || model.isNull() || model.isMissingNode()) {
      throw new InvalidInputException(
          "missing key 'model': expected {preset: NAME} with optional overrides,"
              + " or the model keys");
    }
    boolean presetName = model.isTextual() && !model.asText().isBlank();
    if (!presetName && (!model.isObject() || model.isEmpty())) {
      throw new InvalidInputException(
          "model: expected a preset name or a mapping ({preset: NAME} with optional overrides,"
              + " or the model keys), got " + model);
    }
    cluster = cluster != null ? cluster : Cluster.defaults();
    checkpoint = checkpoint != null ? checkpoint : Checkpoint.defaults();
    eval = eval != null ? eval : Eval.defaults();
    gpu = gpu != null ? gpu : Gpu.defaults();
    checkpoint.checkKeepBest(eval);
    int world = cluster.worldSize();
    if (train.globalBatch() % world != 0) {
      throw new InvalidInputException(
          "train.global_batch (" + train.globalBatch() + ") must be divisible by"
              + " cluster.world_size (" + world + ")");
    }
    if (train.microBatch() != null && (train.globalBatch() / world) % train.microBatch() != 0) {
      throw new InvalidInputException(
          "train.micro_batch (" + train.microBatch() + ") must divide the per-rank batch"
              + " train.global_batch / cluster.world_size = " + train.globalBatch() / world);
    }
  }

  /** Reads and validates a run configuration file (YAML or JSON). */
  public static RunConfig load(Path file) {
    return TypedConfig.read(file, RunConfig.class);
  }

  /** Validates a parsed tree; {@code source} (a file name, "run.yaml") starts every error. */
  public static RunConfig fromTree(JsonNode tree, String source) {
    return TypedConfig.convert(tree, RunConfig.class, source);
  }

  /** The resolved configuration, every default written out (the content of run.yaml). */
  public ObjectNode toTree() {
    return TypedConfig.mapper().valueToTree(this);
  }

  /** Interval between segment jobs: {@code cluster.segment_steps}, else the checkpoint interval. */
  public long segmentSteps() {
    return cluster.segmentSteps() != null ? cluster.segmentSteps() : checkpoint.everySteps();
  }

  /** Total optimizer steps, from {@code train.steps} or {@code train.epochs} and a dataset size. */
  public long totalSteps(long datasetSize) {
    if (train.steps() != null) {
      return train.steps();
    }
    long perEpoch = datasetSize / train.globalBatch();
    if (perEpoch < 1) {
      throw new InvalidInputException(
          "train.epochs: the dataset has " + datasetSize + " samples, fewer than one global batch ("
              + train.globalBatch() + "); set train.steps instead");
    }
    return perEpoch * train.epochs();
  }

  /**
   * Micro-batches each rank accumulates per step, so the global batch stays fixed when the world
   * size changes (docs/ARCHITECTURE.md §4, §9.3).
   */
  public int accumulationSteps(int worldSize) {
    int perRank = train.globalBatch() / worldSize;
    if (worldSize < 1 || train.globalBatch() % worldSize != 0) {
      throw new InvalidInputException(
          "train.global_batch (" + train.globalBatch() + ") is not divisible by world size "
              + worldSize);
    }
    int micro = train.microBatch() != null ? train.microBatch() : perRank;
    if (perRank % micro != 0) {
      throw new InvalidInputException(
          "train.micro_batch (" + micro + ") does not divide the per-rank batch " + perRank
              + " at world size " + worldSize);
    }
    return perRank / micro;
  }

  /** {@code run}: where the run lives and what seeds it. */
  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  public record Run(String dir, Long seed, String name) {
    public Run {
      if (dir == null || dir.isBlank()) {
        throw new InvalidInputException(
            "missing key 'dir': expected a Hadoop URI (hdfs://..., file:/...) or a local path");
      }
      seed = seed != null ? seed : 0L;
      name = name != null ? name : lastComponent(dir);
    }

    private static String lastComponent(String dir) {
      String trimmed = dir.replaceAll("/+$", "");
      int slash = trimmed.lastIndexOf('/');
      return slash >= 0 ? trimmed.substring(slash + 1) : trimmed;
    }
  }

  /** {@code data}: the dataset manifest and flip handling (docs/METHOD.md §2.6). */
  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  public record Data(String manifest, Flip flip) {
    public Data {
      if (manifest == null || manifest.isBlank()) {
        throw new InvalidInputException(
            "missing key 'manifest': expected the path of a dataset.json");
      }
      flip = flip != null ? flip : Flip.NONE;
    }
  }

  /**
   * Flip augmentation. SiT: none. LightningDiT: each item takes its stored flipped latent with
   * p = 0.5.
   */
  public enum Flip {
    @JsonProperty("none")
    NONE,
    @JsonProperty("random")
    RANDOM;

    @Override
    public String toString() {
      return name().toLowerCase();
    }
  }

  /** {@code train}: batch, length, optimizer and loss settings. */
  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Train(
      Integer globalBatch,
      Integer microBatch,
      Long steps,
      Integer epochs,
      Optimizer optimizer,
      Long warmupSteps,
      Double emaDecay,
      Double gradClip,
      Double igLossWeight,
      Double cosineLossWeight,
      Double classDropout,
      TimeSampling timeSampling,
      Integer logEvery,
      Integer maxConsecutiveSkips) {
    public Train {
      globalBatch = atLeast(globalBatch != null ? globalBatch : 256, 1, "global_batch");
      if (microBatch != null) {
        atLeast(microBatch, 1, "micro_batch");
      }
      if ((steps == null) == (epochs == null)) {
        throw new InvalidInputException(
            "set exactly one of 'steps' and 'epochs' (got "
                + (steps == null ? "neither" : "both")
                + ")");
      }
      if (steps != null && steps < 1) {
        throw new InvalidInputException("steps must be at least 1, got " + steps);
      }
      if (epochs != null) {
        atLeast(epochs, 1, "epochs");
      }
      optimizer = optimizer != null ? optimizer : Optimizer.of(OptimizerName.ADAMW);
      warmupSteps = warmupSteps != null ? warmupSteps : 0L;
      if (warmupSteps < 0) {
        throw new InvalidInputException("warmup_steps must be at least 0, got " + warmupSteps);
      }
      emaDecay = Ema.checkDecay(emaDecay != null ? emaDecay : 0.9999);
      // 0 disables clipping; the paper clips the global norm at 1.0 (§2.5).
      gradClip = nonNegative(gradClip != null ? gradClip : 1.0, "grad_clip");
      // λ in L = L_final + λ·L_inter (docs/METHOD.md §2.3): the code uses 0.5.
      igLossWeight = nonNegative(igLossWeight != null ? igLossWeight : 0.5, "ig_loss_weight");
      // LightningDiT's cosine loss on the final head (§2.3); 0 on the SiT track.
      cosineLossWeight =
          nonNegative(cosineLossWeight != null ? cosineLossWeight : 0.0, "cosine_loss_weight");
      classDropout = IgLoss.checkLabelDropout(classDropout != null ? classDropout : 0.1);
      timeSampling = timeSampling != null ? timeSampling : TimeSampling.UNIFORM;
      logEvery = atLeast(logEvery != null ? logEvery : 100, 1, "log_every");
      maxConsecutiveSkips =
          atLeast(maxConsecutiveSkips != null ? maxConsecutiveSkips : 10, 0,
              "max_consecutive_skips");
    }
  }

  public enum OptimizerName {
    @JsonProperty("adamw")
    ADAMW,
    @JsonProperty("muon")
    MUON;

    @Override
    public String toString() {
      return name().toLowerCase();
    }
  }

  /**
   * {@code train.optimizer}. AdamW (SiT track): lr 1e-4, betas (0.9, 0.999), eps 1e-8, weight decay
   * 0. Muon (LightningDiT track, docs/METHOD.md §2.5): {@code lr}, {@code weight_decay},
   * {@code momentum}, {@code nesterov}, {@code ns_steps} are the Muon group's (2e-4, 0.01, 0.95,
   * true, 5); {@code betas}, {@code eps}, {@code aux_lr} (default: lr) and {@code
   * aux_weight_decay} are the auxiliary Adam group's ((0.9, 0.95), 1e-8, 2e-4, 0). {@code
   * decay_frozen_pos_embed} (default true) applies the Muon group's weight decay to the frozen
   * {@code pos_embed} every step, as the official grouping does (§2.5). Muon-only keys are
   * rejected with AdamW.
   */
  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Optimizer(
      OptimizerName name,
      Double lr,
      List<Double> betas,
      Double eps,
      Double weightDecay,
      Double momentum,
      Boolean nesterov,
      Integer nsSteps,
      Double auxLr,
      Double auxWeightDecay,
      Boolean decayFrozenPosEmbed) {
    public Optimizer {
      if (name == null) {
        throw new InvalidInputException("missing key 'name': expected adamw or muon");
      }
      boolean muon = name == OptimizerName.MUON;
      if (!muon) {
        for (var muonOnly :
            List.of(
                new Object[] {"momentum", momentum},
                new Object[] {"nesterov", nesterov},
                new Object[] {"ns_steps", nsSteps},
                new Object[] {"aux_lr", auxLr},
                new Object[] {"aux_weight_decay", auxWeightDecay},
                new Object[] {"decay_frozen_pos_embed", decayFrozenPosEmbed})) {
          if (muonOnly[1] != null) {
            throw new InvalidInputException(
                "'" + muonOnly[0] + "' is a muon setting; this optimizer is adamw");
          }
        }
      }
      lr = positive(lr != null ? lr : muon ? 2e-4 : 1e-4, "lr");
      betas = betas != null ? List.copyOf(betas) : muon ? List.of(0.9, 0.95) : List.of(0.9, 0.999);
      if (betas.size() != 2 || !(betas.get(0) >= 0 && betas.get(0) < 1)
          || !(betas.get(1) >= 0 && betas.get(1) < 1)) {
        throw new InvalidInputException("betas must be two numbers in [0, 1), got " + betas);
      }
      eps = positive(eps != null ? eps : 1e-8, "eps");
      weightDecay = nonNegative(weightDecay != null ? weightDecay : muon ? 0.01 : 0.0,
          "weight_decay");
      if (muon) {
        momentum = momentum != null ? momentum : 0.95;
        if (!(momentum >= 0 && momentum < 1)) {
          throw new InvalidInputException("momentum must be in [0, 1), got " + momentum);
        }
        nesterov = nesterov != null ? nesterov : true;
        nsSteps = atLeast(nsSteps != null ? nsSteps : 5, 1, "ns_steps");
        auxLr = positive(auxLr != null ? auxLr : lr, "aux_lr");
        auxWeightDecay =
            nonNegative(auxWeightDecay != null ? auxWeightDecay : 0.0, "aux_weight_decay");
        decayFrozenPosEmbed = decayFrozenPosEmbed != null ? decayFrozenPosEmbed : true;
      }
    }

    static Optimizer of(OptimizerName name) {
      return new Optimizer(name, null, null, null, null, null, null, null, null, null, null);
    }
  }

  /**
   * {@code cluster}: world size and the driver's failure discipline
   * (docs/ARCHITECTURE.md §9.2–9.3). Deadlines: every collective read/write during training has
   * {@code step_deadline_seconds}; the checkpoint phase has the longer {@code
   * checkpoint_deadline_seconds}, so a slow writer does not look like a dead peer. {@code
   * slot_wait_seconds}: how long a segment waits for {@code world_size} free task slots; then
   * {@code allow_smaller_world} continues with the largest world size that fits and divides the
   * global batch. {@code allow_unencrypted_ring}: the ring is authenticated but not encrypted, so
   * with spark.ssl.enabled the run refuses to start unless this is true (docs/RELIABILITY.md).
   * {@code preempt_grace_seconds}: after SIGTERM, SIGUSR1 or SIGINT the running segment ends at
   * its next step and is checkpointed; one that has not ended within this many seconds (1 to
   * 86400, default 60) is cancelled, and LATEST stays.
   */
  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Cluster(
      Integer worldSize,
      Long segmentSteps,
      Integer maxRetries,
      Double backoffSeconds,
      Double maxBackoffSeconds,
      Boolean allowSmallerWorld,
      Double stepDeadlineSeconds,
      Double checkpointDeadlineSeconds,
      Integer cpuReplicas,
      Double slotWaitSeconds,
      Boolean allowUnencryptedRing,
      Double preemptGraceSeconds,
      Ring ring) {
    public Cluster {
      worldSize = atLeast(worldSize != null ? worldSize : 1, 1, "world_size");
      if (segmentSteps != null && segmentSteps < 1) {
        throw new InvalidInputException("segment_steps must be at least 1, got " + segmentSteps);
      }
      maxRetries = atLeast(maxRetries != null ? maxRetries : 3, 0, "max_retries");
      backoffSeconds = nonNegative(backoffSeconds != null ? backoffSeconds : 30.0,
          "backoff_seconds");
      maxBackoffSeconds =
          nonNegative(maxBackoffSeconds != null ? maxBackoffSeconds : 600.0,
              "max_backoff_seconds");
      if (maxBackoffSeconds < backoffSeconds) {
        throw new InvalidInputException(
            "max_backoff_seconds (" + maxBackoffSeconds + ") must be at least backoff_seconds ("
                + backoffSeconds + ")");
      }
      allowSmallerWorld = allowSmallerWorld != null ? allowSmallerWorld : false;
      stepDeadlineSeconds =
          positive(stepDeadlineSeconds != null ? stepDeadlineSeconds : 300.0,
              "step_deadline_seconds");
      checkpointDeadlineSeconds =
          positive(checkpointDeadlineSeconds != null ? checkpointDeadlineSeconds : 3600.0,
              "checkpoint_deadline_seconds");
      // Model replicas per task on an executor without GPUs (with GPUs: one per assigned GPU).
      // More than one only exercises the multi-device path on CPU; it does not add compute.
      cpuReplicas = atLeast(cpuReplicas != null ? cpuReplicas : 1, 1, "cpu_replicas");
      slotWaitSeconds =
          positive(slotWaitSeconds != null ? slotWaitSeconds : 60.0, "slot_wait_seconds");
      allowUnencryptedRing = allowUnencryptedRing != null ? allowUnencryptedRing : false;
      preemptGraceSeconds = preemptGraceSeconds != null ? preemptGraceSeconds : 60.0;
      if (!(preemptGraceSeconds >= 1 && preemptGraceSeconds <= 86_400)) {
        throw new InvalidInputException(
            "preempt_grace_seconds must be between 1 and 86400 (seconds), got "
                + preemptGraceSeconds);
      }
      ring = ring != null ? ring : Ring.defaults();
    }

    static Cluster defaults() {
      return new Cluster(
          null, null, null, null, null, null, null, null, null, null, null, null, null);
    }
  }

  /**
   * {@code cluster.ring}: how gradients cross executors. {@code bucket_mib}: gradients are
   * summed and all-reduced in buckets of this many MiB (1 to 1024: no buffer ever nears the 2 GiB
   * limit of a Java buffer, and host staging is two buckets whatever the model size); {@code
   * wire}: {@code fp32}, or {@code bf16} to halve the bytes sent (opt-in: the sum is still fp32,
   * but each partial sum is rounded to bfloat16 on the wire, so the trajectory changes); {@code
   * lanes}: parallel TCP rings, each with its own thread, for networks faster than one thread
   * copies (1 to 16).
   */
  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  public record Ring(Integer bucketMib, Wire wire, Integer lanes) {
    /** The largest bucket: the ring's own limit on one pass (1 GiB). */
    public static final int MAX_BUCKET_MIB = 1024;

    public Ring {
      bucketMib = bucketMib != null ? bucketMib : 32;
      if (bucketMib < 1 || bucketMib > MAX_BUCKET_MIB) {
        throw new InvalidInputException(
            "bucket_mib must be between 1 and " + MAX_BUCKET_MIB + " (MiB), got " + bucketMib);
      }
      wire = wire != null ? wire : Wire.FP32;
      lanes = lanes != null ? lanes : 1;
      if (lanes < 1 || lanes > 16) {
        throw new InvalidInputException("lanes must be between 1 and 16, got " + lanes);
      }
    }

    /** Floats per gradient bucket. */
    public int bucketFloats() {
      return bucketMib * (1 << 20) / 4;
    }

    static Ring defaults() {
      return new Ring(null, null, null);
    }
  }

  /** Element type of gradients on the ring's wire. */
  public enum Wire {
    @JsonProperty("fp32")
    FP32,
    @JsonProperty("bf16")
    BF16
  }

  /**
   * {@code checkpoint}: interval, retention (newest {@code keep} plus {@code pins}, plus the best
   * by {@code keep_best} when set) and the driver's bounded retries of a commit on transient I/O
   * errors.
   */
  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Checkpoint(
      Long everySteps,
      Integer keep,
      List<Long> pins,
      Integer commitRetries,
      Double commitBackoffSeconds,
      Boolean verifyOnLoad,
      KeepBest keepBest) {
    public Checkpoint {
      everySteps = everySteps != null ? everySteps : 50_000L;
      if (everySteps < 1) {
        throw new InvalidInputException("every_steps must be at least 1, got " + everySteps);
      }
      keep = atLeast(keep != null ? keep : 3, 1, "keep");
      pins = pins != null ? List.copyOf(pins) : List.of();
      for (Long pin : pins) {
        if (pin < 0) {
          throw new InvalidInputException("pins must be steps ≥ 0, got " + pin);
        }
      }
      commitRetries = atLeast(commitRetries != null ? commitRetries : 3, 0, "commit_retries");
      commitBackoffSeconds =
          nonNegative(commitBackoffSeconds != null ? commitBackoffSeconds : 2.0,
              "commit_backoff_seconds");
      verifyOnLoad = verifyOnLoad != null ? verifyOnLoad : true;
    }

    static Checkpoint defaults() {
      return new Checkpoint(null, null, null, null, null, null, null);
    }

    /**
     * Refuses a {@code keep_best} metric that {@code eval} never produces (no evaluation, or one
     * of the other model kind), naming the metrics it does produce.
     */
    void checkKeepBest(Eval eval) {
      if (keepBest == null) {
        return;
      }
      String key = "checkpoint.keep_best.metric: '" + keepBest.metric() + "'";
      if (eval.everySteps() == 0) {
        throw new InvalidInputException(
            key + " needs in-training evaluation, but eval.every_steps is 0 (off); set"
                + " eval.every_steps (and eval.reference) or remove checkpoint.keep_best");
      }
      List<EvalMetric> produced = EvalMetric.of(eval.latent());
      EvalMetric metric = EvalMetric.byKey(keepBest.metric()).orElse(null);
      if (metric == null || !produced.contains(metric)) {
        throw new InvalidInputException(
            key + " is not a metric this run's evaluation produces ("
                + (eval.latent()
                    ? "latent evaluation through eval.vae_decoder and eval.inception"
                    : "pixel Fashion-MNIST evaluation, eval.vae_decoder not set")
                + "); expected one of " + produced.stream().map(EvalMetric::key).toList());
      }
    }
  }

  /**
   * {@code checkpoint.keep_best}: retention never deletes the checkpoint whose evaluation has the
   * best {@code metric} (ties: the earliest step). {@code mode} ({@code min} or {@code max})
   * defaults to the metric's better direction; the other one would keep the worst checkpoint, so
   * it is refused.
   */
  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  public record KeepBest(String metric, BestMode mode) {
    public KeepBest {
      if (metric == null || metric.isBlank()) {
        throw new InvalidInputException(
            "missing key 'metric': expected an evaluation metric, e.g. fid or fd_fmnist");
      }
      EvalMetric known = EvalMetric.byKey(metric).orElse(null);
      if (known != null) { // an unknown metric is named by checkKeepBest, with the valid ones
        BestMode better = known.lowerIsBetter() ? BestMode.MIN : BestMode.MAX;
        if (mode != null && mode != better) {
          throw new InvalidInputException(
              "mode: " + mode + " would keep the worst checkpoint: " + metric + " is better when "
                  + (better == BestMode.MIN ? "lower" : "higher") + " (mode " + better + ")");
        }
        mode = better;
      }
    }

    /** Whether {@code candidate} beats {@code best} (strictly: a tie keeps the earlier step). */
    public boolean better(double candidate, double best) {
      return mode == BestMode.MIN ? candidate < best : candidate > best;
    }
  }

  /** Which end of a metric is best. */
  public enum BestMode {
    @JsonProperty("min")
    MIN,
    @JsonProperty("max")
    MAX;

    @Override
    public String toString() {
      return name().toLowerCase();
    }
  }

  /**
   * {@code eval}: periodic evaluation of committed checkpoints; {@code every_steps: 0} disables it.
   * The sampling keys ({@code sampler}, {@code sampling_steps}, {@code timestep_shift}, the
   * guidance scales w (1.0 = off) and intervals, {@code balanced}) form one {@link SamplerSpec},
   * checked by the same parser as {@code igspark sample} and {@code evaluate}
   * (docs/evaluation.md, "Sampler settings"). {@code sampler: sde} (the older name) is {@code
   * sde-em}; the intervals default to the SiT recipe's CFG on [0, 0.7] and IG on [0, 1].
   * {@code grid_every_steps} (0: off) is a cheaper cadence of its own: a grid of {@value
   * #GRID_SAMPLES} samples with the same labels and noise every time, and no metric.
   */
  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  public record Eval(
      Long everySteps,
      Long gridEverySteps,
      Integer numSamples,
      String sampler,
      Integer samplingSteps,
      Double timestepShift,
      Double igScale,
      List<Double> igInterval,
      Double cfgScale,
      List<Double> cfgInterval,
      Long seed,
      String reference,
      Boolean balanced,
      String vaeDecoder,
      String inception,
      String uint8) {
    public Eval {
      everySteps = everySteps != null ? everySteps : 0L;
      if (everySteps < 0) {
        throw new InvalidInputException("every_steps must be at least 0, got " + everySteps);
      }
      // The cheap cadence: a fixed grid of GRID_SAMPLES samples, no reference, no metric.
      gridEverySteps = gridEverySteps != null ? gridEverySteps : 0L;
      if (gridEverySteps < 0) {
        throw new InvalidInputException(
            "grid_every_steps must be at least 0 (0: off), got " + gridEverySteps);
      }
      numSamples = atLeast(numSamples != null ? numSamples : 10_000, 1, "num_samples");
      sampler = sampler != null ? sampler : "sde";
      samplingSteps = samplingSteps != null ? samplingSteps : 250;
      timestepShift = timestepShift != null ? timestepShift : 1.0;
      igScale = atLeastOne(igScale != null ? igScale : 1.0, "ig_scale");
      igInterval = igInterval != null ? igInterval : List.of(0.0, 1.0);
      cfgScale = atLeastOne(cfgScale != null ? cfgScale : 1.0, "cfg_scale");
      // The SiT recipe applies CFG on t ∈ [0, 0.7] (docs/METHOD.md §3.3).
      cfgInterval = cfgInterval != null ? cfgInterval : List.of(0.0, 0.7);
      seed = seed != null ? seed : 0L;
      // Real images the samples are compared with (a dataset of the same shape); needed when
      // every_steps > 0.
      if (everySteps > 0 && (reference == null || reference.isBlank())) {
        throw new InvalidInputException(
            "reference: evaluation every " + everySteps + " steps needs a reference dataset"
                + " (e.g. data/fashion-mnist-test/dataset.json)");
      }
      // Class-balanced labels (MAR's in-training protocol) unless set to false (random labels).
      balanced = balanced != null ? balanced : true;
      samplerSpec(sampler, samplingSteps, timestepShift, igScale, igInterval, cfgScale,
          cfgInterval, balanced); // refuses bad sampling keys at load, naming them
      // Latent models: a TorchScript VAE decoder and Inception, loaded only from these paths
      // (docs/evaluation.md), with an ADM reference .npz; their SHA-256 goes into eval/ and every
      // eval record.
      vaeDecoder = blankToNull(vaeDecoder);
      inception = blankToNull(inception);
      if ((vaeDecoder == null) != (inception == null)) {
        throw new InvalidInputException(
            (vaeDecoder == null ? "vae_decoder" : "inception") + ": latent evaluation needs both"
                + " vae_decoder and inception (TorchScript files); only "
                + (vaeDecoder == null ? "inception" : "vae_decoder") + " is set");
      }
      if (vaeDecoder != null && everySteps > 0 && !reference.endsWith(".npz")) {
        throw new InvalidInputException(
            "reference: '" + reference + "'; with vae_decoder the reference is an ADM .npz"
                + " (mu, sigma[, mu_s, sigma_s] and/or images arr_0)");
      }
      uint8 = uint8 != null ? uint8 : "floor";
      if (!uint8.equals("floor") && !uint8.equals("round")) {
        throw new InvalidInputException(
            "uint8: '" + uint8 + "', expected floor (REPA/IG) or round (SiT)");
      }
    }

    /** Samples in the grid of {@code grid_every_steps}: 8 rows of 8. */
    public static final int GRID_SAMPLES = 64;

    /** Whether checkpoints are evaluated through the VAE decoder and Inception (FID). */
    public boolean latent() {
      return vaeDecoder != null;
    }

    private static String blankToNull(String s) {
      return s == null || s.isBlank() ? null : s;
    }

    /** How the evaluation samples, checked by the one sampler parser. */
    public SamplerSpec samplerSpec() {
      return samplerSpec(sampler, samplingSteps, timestepShift, igScale, igInterval, cfgScale,
          cfgInterval, balanced);
    }

    private static SamplerSpec samplerSpec(
        String sampler, int steps, double shift, double igScale, List<Double> igInterval,
        double cfgScale, List<Double> cfgInterval, boolean balanced) {
      return SamplerSpecParser.from(SamplerSpec.DEFAULT, SamplerSpecParser.CONFIG_NAMES)
          .set(SamplerKey.SAMPLER, sampler)
          .steps(steps)
          .timestepShift(shift)
          .igScale(igScale)
          .interval(SamplerKey.IG_INTERVAL, igInterval)
          .cfgScale(cfgScale)
          .interval(SamplerKey.CFG_INTERVAL, cfgInterval)
          .labels(balanced ? SamplerSpec.LabelMode.BALANCED : SamplerSpec.LabelMode.RANDOM)
          .build();
    }

    static Eval defaults() {
      return new Eval(
          null, null, null, null, null, null, null, null, null, null, null, null, null, null, null,
          null);
    }
  }

  /**
   * {@code gpu}: CUDA settings of the training executors (cluster-config/README.md, "Running on
   * GPUs"); no effect on CPUs. {@code tf32} (default true, as the official SiT recipe trains:
   * fp32 with TF32): the driver sets {@code spark.executorEnv.TORCH_ALLOW_TF32_CUBLAS_OVERRIDE}
   * to 1 (fp32 matmuls in TF32) or 0, and with false also {@code NVIDIA_TF32_OVERRIDE=0}, which
   * turns TF32 off in cuDNN's convolutions as well (libtorch allows it there by default). libtorch
   * reads both when an executor JVM starts. {@code cudnn_benchmark} (default true): cuDNN times
   * its convolution algorithms on the first batch of each shape and keeps the fastest ({@link
   * CudaSettings#apply}).
   */
  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  public record Gpu(Boolean tf32, Boolean cudnnBenchmark) {
    public Gpu {
      tf32 = tf32 != null ? tf32 : true;
      cudnnBenchmark = cudnnBenchmark != null ? cudnnBenchmark : true;
    }

    /** The executor environment these settings need (read by libtorch at JVM start). */
    public Map<String, String> executorEnvironment() {
      Map<String, String> env = new LinkedHashMap<>();
      env.put("TORCH_ALLOW_TF32_CUBLAS_OVERRIDE", tf32 ? "1" : "0");
      if (!tf32) {
        env.put("NVIDIA_TF32_OVERRIDE", "0");
      }
      return env;
    }

    public static Gpu defaults() {
      return new Gpu(null, null);
    }
  }

  private static void require(Object section, String key) {
    if (section == null) {
      throw new InvalidInputException("missing section '" + key + "'");
    }
  }

  private static int atLeast(int value, int min, String key) {
    if (value < min) {
      throw new InvalidInputException(key + " must be at least " + min + ", got " + value);
    }
    return value;
  }

  private static double positive(double value, String key) {
    if (!(value > 0) || Double.isInfinite(value)) {
      throw new InvalidInputException(key + " must be a positive number, got " + value);
    }
    return value;
  }

  private static double nonNegative(double value, String key) {
    if (!(value >= 0) || Double.isInfinite(value)) {
      throw new InvalidInputException(key + " must be a number ≥ 0, got " + value);
    }
    return value;
  }

  private static double atLeastOne(double value, String key) {
    if (!(value >= 1) || Double.isInfinite(value)) {
      throw new InvalidInputException(key + " must be ≥ 1 (1 = off), got " + value);
    }
    return value;
  }
}
