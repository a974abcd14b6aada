package ai.igspark.spark;

import ai.djl.Device;
import ai.igspark.data.LoopbackOnly;
import ai.igspark.metrics.MetricsEndpoint;
import ai.igspark.metrics.MetricsPublisher;
import ai.igspark.metrics.MetricsStream;
import ai.igspark.metrics.ReceivedRecord;
import java.io.IOException;
import java.io.Serializable;
import java.nio.channels.ServerSocketChannel;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import java.util.stream.IntStream;
import org.apache.spark.BarrierTaskContext;
import org.apache.spark.SparkContext;
import org.apache.spark.SparkJobInfo;
import org.apache.spark.SparkStageInfo;
import org.apache.spark.api.java.JavaFutureAction;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.rdd.RDD;
import org.apache.spark.resource.ResourceProfile;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.collection.Iterator;
import scala.reflect.ClassTag$;
import scala.reflect.ClassTag;
import scala.runtime.AbstractFunction1;

/**
 * One segment of training as one barrier stage of {@code worldSize} tasks, one per executor
 * (docs/ARCHITECTURE.md §4, §9.3). Each task runs the {@link BarrierRendezvous}, connects a
 * {@link MetricsPublisher} to the driver, assigns its devices and runs the {@link RankTask}; the
 * driver gets the per-rank results ordered by rank.
 *
 * <p>Before submitting, the job waits (bounded) until the cluster offers {@code worldSize} task
 * slots and fails with {@link NotEnoughSlotsException} otherwise; a watchdog cancels the stage if
 * it has not launched within the same bound (executors lost after the check), where Spark itself
 * would keep retrying every 15 s. A failed barrier ResultStage is not retried by Spark: the caller
 * (the training driver) owns retries.
 */
public final class SegmentJob {
  private static final Logger LOG = LoggerFactory.getLogger(SegmentJob.class);

  private final JavaSparkContext sc;
  private final String runId;
  private final long segment;
  private final int worldSize;
  private final int cpuReplicas;
  private final Duration slotWait;
  private final Duration connectTimeout;
  private final String metricsHost;
  private final Consumer<ReceivedRecord> metricsListener;

  private SegmentJob(Builder b) {
    this.sc = b.sc;
    this.runId = b.runId;
    this.segment = b.segment;
    this.worldSize = b.worldSize;
    this.cpuReplicas = b.cpuReplicas;
    this.slotWait = b.slotWait;
    this.connectTimeout = b.connectTimeout;
    this.metricsHost = b.metricsHost != null ? b.metricsHost : sc.getConf().get(
        "spark.driver.host", "127.0.0.1");
    this.metricsListener = b.metricsListener;
  }

  public static Builder builder(JavaSparkContext sc) {
    return new Builder(sc);
  }

  /**
   * Runs {@code task} on every rank and returns the results ordered by rank.
   *
   * @throws NotEnoughSlotsException if the cluster cannot run {@code worldSize} tasks at once
   *     within the slot wait
   * @throws org.apache.spark.SparkException (wrapped in a RuntimeException) if any rank fails
   */
  public <R> List<RankResult<R>> run(RankTask<R> task) throws IOException {
    awaitSlots();
    String nonce = runId.replace(':', '_') + "-" + segment + "-" + randomHex(8);
    try (MetricsStream metrics = MetricsStream.open(metricsHost, metricsListener)) {
      RankSpec spec = new RankSpec(runId, segment, worldSize, nonce, cpuReplicas,
          metrics.endpoint(), connectTimeout.toMillis());
      List<Integer> ranks = IntStream.range(0, worldSize).boxed().toList();
      RDD<RankResult<R>> stage = StageProfiles.apply(sc,
          sc.parallelize(ranks, worldSize).rdd().barrier()
              .mapPartitions(new RankFunction<>(spec, task), false, RankFunction.tag()),
          StageProfiles.of(sc).training());
      JavaFutureAction<List<RankResult<R>>> future =
          new JavaRDD<>(stage, RankFunction.<R>tag()).collectAsync();
      List<RankResult<R>> results = new ArrayList<>(awaitResults(future));
      results.sort(Comparator.comparingInt(RankResult::rank));
      return List.copyOf(results);
    }
  }

  /**
   * Training task slots the cluster offers now: what Spark's own barrier check counts
   * (SPARK-24819) for the training stage's resource profile ({@link StageProfiles#training}).
   */
  public static int availableSlots(JavaSparkContext sc) {
    SparkContext context = sc.sc();
    // maxNumConcurrentTasks is private[spark] in Scala but public in bytecode; no public API
    // counts slots per resource profile (igspark pins Spark 4.2.0).
    ResourceProfile profile = StageProfiles.registered(sc, StageProfiles.of(sc).training());
    return context.maxNumConcurrentTasks(profile);
  }

  private void awaitSlots() {
    long start = System.nanoTime();
    long deadline = start + slotWait.toNanos();
    int slots = availableSlots(sc);
    while (slots < worldSize && System.nanoTime() < deadline) {
      sleep(200);
      slots = availableSlots(sc);
    }
    if (slots < worldSize) {
      throw NotEnoughSlotsException.tooFew(worldSize, slots,
          (System.nanoTime() - start) / 1_000_000);
    }
  }

  /** Waits for the stage; cancels it if it has not launched within the slot wait. */
  private <T> List<T> awaitResults(JavaFutureAction<List<T>> future) {
    long submitted = System.nanoTime();
    boolean launched = false;
    while (true) {
      try {
        return future.get(200, TimeUnit.MILLISECONDS);
      } catch (TimeoutException e) {
        launched = launched || stageLaunched(future);
        if (!launched && System.nanoTime() - submitted > slotWait.toNanos()) {
          future.cancel(true);
          long waited = (System.nanoTime() - submitted) / 1_000_000;
          int slots = availableSlots(sc);
          throw slots < worldSize
              ? NotEnoughSlotsException.tooFew(worldSize, slots, waited)
              : NotEnoughSlotsException.notLaunched(worldSize, slots, waited);
        }
      } catch (InterruptedException e) {
        future.cancel(true);
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while segment " + segment + " ran", e);
      } catch (ExecutionException e) {
        throw new IllegalStateException("segment " + segment + " of run " + runId + " failed: "
            + e.getCause().getMessage(), e.getCause());
      }
    }
  }

  private boolean stageLaunched(JavaFutureAction<?> future) {
    for (int jobId : future.jobIds()) {
      SparkJobInfo job = sc.statusTracker().getJobInfo(jobId);
      if (job == null) {
        continue;
      }
      for (int stageId : job.stageIds()) {
        SparkStageInfo stage = sc.statusTracker().getStageInfo(stageId);
        if (stage != null && stage.numActiveTasks() + stage.numCompletedTasks() > 0) {
          return true;
        }
      }
    }
    return false;
  }

  private static String randomHex(int bytes) {
    byte[] b = new byte[bytes];
    new SecureRandom().nextBytes(b);
    return HexFormat.of().formatHex(b);
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for task slots", e);
    }
  }

  /** What each rank needs from the driver; shipped in the task closure. */
  record RankSpec(String runId, long segment, int worldSize, String nonce, int cpuReplicas,
      MetricsEndpoint metrics, long connectTimeoutMillis) implements Serializable {}

  /** The barrier partition function: rendezvous, metrics, devices, then the rank's task. */
  static final class RankFunction<R>
      extends AbstractFunction1<Iterator<Integer>, Iterator<RankResult<R>>>
      implements Serializable {
    private static final long serialVersionUID = 1L;
    private final RankSpec spec;
    private final RankTask<R> task;

    RankFunction(RankSpec spec, RankTask<R> task) {
      this.spec = spec;
      this.task = task;
    }

    @SuppressWarnings("unchecked")
    static <R> ClassTag<RankResult<R>> tag() {
      return (ClassTag<RankResult<R>>) (ClassTag<?>) ClassTag$.MODULE$.apply(RankResult.class);
    }

    @Override
    public Iterator<RankResult<R>> apply(Iterator<Integer> partition) {
      try {
        return scala.package$.MODULE$.Iterator().single(runRank());
      } catch (RuntimeException e) {
        throw e;
      } catch (Exception e) {
        throw new IllegalStateException("rank task failed: " + e, e);
      }
    }

    private RankResult<R> runRank() throws Exception {
      LoopbackOnly.apply(); // before anything on this executor can load DJL's engine
      BarrierTaskContext barrier = BarrierTaskContext.get();
      int rank = barrier.partitionId();
      if (barrier.getTaskInfos().length != spec.worldSize()) {
        throw new IllegalStateException("barrier stage has " + barrier.getTaskInfos().length
            + " tasks, expected world size " + spec.worldSize());
      }
      String nonce = spec.nonce() + "-a" + barrier.stageAttemptNumber();
      List<Device> devices = DeviceAssignment.forCurrentTask(spec.cpuReplicas());
      Duration timeout = Duration.ofMillis(spec.connectTimeoutMillis());
      BarrierRendezvous.Peers peers = BarrierRendezvous.join(barrier, nonce);
      try (ServerSocketChannel listener = peers.listener();
          MetricsPublisher metrics = connectMetrics(rank, timeout)) {
        RankContext context = new RankContext(rank, spec.worldSize(), spec.runId(),
            spec.segment(), nonce, peers.peers(), listener, devices, metrics,
            barrier::isInterrupted);
        long start = System.nanoTime();
        R value = task.run(context);
        long taskMillis = (System.nanoTime() - start) / 1_000_000;
        String host = peers.peers().get(rank).getHostString();
        LOG.info("rank {}/{} of {} segment {} done: allGather {} ms, task {} ms", rank,
            spec.worldSize(), spec.runId(), spec.segment(), peers.allGatherMillis(), taskMillis);
        return new RankResult<>(rank, host, value, peers.allGatherMillis(), taskMillis,
            System.currentTimeMillis());
      }
    }

    private MetricsPublisher connectMetrics(int rank, Duration timeout) throws IOException {
      try {
        return MetricsPublisher.connect(spec.metrics(), rank, timeout);
      } catch (IOException e) {
        throw new IOException("rank " + rank + " cannot reach the driver's metrics stream at "
            + spec.metrics() + " (executors must reach spark.driver.host; on a multi-host"
            + " cluster set SPARK_LOCAL_IP to the driver's cluster address): " + e, e);
      }
    }
  }

  /** Builder for a {@link SegmentJob}; {@link #build()} finishes it. */
  public static final class Builder {
    private final JavaSparkContext sc;
    private String runId = "run";
    private long segment;
    private int worldSize = 1;
    private int cpuReplicas = 1;
    private Duration slotWait = Duration.ofSeconds(60);
    private Duration connectTimeout = Duration.ofSeconds(30);
    private String metricsHost;
    private Consumer<ReceivedRecord> metricsListener = record -> {};

    private Builder(JavaSparkContext sc) {
      this.sc = sc;
    }

    public Builder runId(String runId) {
      this.runId = runId;
      return this;
    }

    public Builder segment(long segment) {
      this.segment = segment;
      return this;
    }

    /** Number of ranks, one barrier task (and executor JVM) each. */
    public Builder worldSize(int worldSize) {
      if (worldSize < 1) {
        throw new IllegalArgumentException("world size must be >= 1, got " + worldSize);
      }
      this.worldSize = worldSize;
      return this;
    }

    /** CPU replicas per rank when it has no GPU (see {@link DeviceAssignment}). */
    public Builder cpuReplicas(int cpuReplicas) {
      this.cpuReplicas = cpuReplicas;
      return this;
    }

    /** How long to wait for {@code worldSize} slots, before submitting and before launch. */
    public Builder slotWait(Duration slotWait) {
      this.slotWait = slotWait;
      return this;
    }

    /** Deadline for a rank connecting its metrics channel to the driver. */
    public Builder connectTimeout(Duration connectTimeout) {
      this.connectTimeout = connectTimeout;
      return this;
    }

    /** Host the driver's metrics server binds; default {@code spark.driver.host}. */
    public Builder metricsHost(String metricsHost) {
      this.metricsHost = metricsHost;
      return this;
    }

    /** Called on the driver once per metrics record, while the segment runs. */
    public Builder metricsListener(Consumer<ReceivedRecord> metricsListener) {
      this.metricsListener = metricsListener;
      return this;
    }

    public SegmentJob build() {
      if (runId.isBlank()) {
        throw new IllegalArgumentException("run id must not be blank");
      }
      return new SegmentJob(this);
    }
  }
}
