package ai.igspark.notebooks;

import ai.igspark.ckpt.MetricsLog;
import ai.igspark.ckpt.RunDirectory;
import ai.igspark.config.RunConfig;
import ai.igspark.metrics.EvalRecord;
import ai.igspark.metrics.EvalSetting;
import ai.igspark.metrics.MetricsJson;
import ai.igspark.metrics.RetryRecord;
import ai.igspark.metrics.SegmentRecord;
import ai.igspark.metrics.TrainRecord;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import javax.imageio.ImageIO;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.LocalFileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RawLocalFileSystem;
import org.apache.hadoop.util.Progressable;

/**
 * Writes a run directory shaped like the Fashion-MNIST demo's (configs/demo-fmnist.yaml) through
 * the project's own {@link RunDirectory} and {@link MetricsLog}, with made-up but plausible
 * numbers, with what a short real run rarely holds (retries, resumes, a cut line); {@link
 * NotebooksOnRealRunTest} covers a run the real trainer makes.
 *
 * <p>The story it tells, 400 steps logged every 10, checkpoints every 200:
 *
 * <ol>
 *   <li>Session 1 commits segment 0 (step 200) and evaluates it with a small guidance sweep. In
 *       segment 1 an executor is lost at step 250: a {@code retry} record, and steps 210..250 are
 *       logged again. The driver then dies at step 330, leaving half a line.
 *   <li>Session 2 resumes from step 200 on a filesystem without append (like s3a), so it writes a
 *       {@code metrics-<UTC>-<nonce>.jsonl} part, logs 210..400 (again), commits step 400 and
 *       evaluates it.
 * </ol>
 */
final class SyntheticRun {
  private static final int LOG_EVERY = 10;
  private static final int BATCH = 64;
  private static final Instant START = Instant.parse("2026-11-27T00:00:00Z");

  private SyntheticRun() {}

  /** Writes the run into {@code dir} (created); {@code repo} is the checkout (for its config). */
  static void write(java.nio.file.Path dir, java.nio.file.Path repo) throws IOException {
    RunConfig config = RunConfig.load(repo.resolve("configs/demo-fmnist.yaml"));

    // Session 1: append to metrics.jsonl on the local disk.
    RunDirectory run = RunDirectory.open(dir.toString(), new Configuration());
    run.guardConfig(config, Set.of());
    try (MetricsLog log = run.openMetrics()) {
      trainSteps(log, 10, 200, 0);
      log.append(segment(200, 0, "a1", 152.0, 9.5, 1.8, false));
      evaluate(run, log, 200);
      trainSteps(log, 210, 250, 0);
      log.append(retry(200, 1, "a2", "ExecutorLostFailure (executor 1 exited: OOMKilled)", 1.0));
      trainSteps(log, 210, 330, 1);
    }
    // The driver dies mid-write: a cut line, which readers skip.
    Files.writeString(dir.resolve("metrics.jsonl"), "{\"kind\":\"train\",\"step\":340,\"lo",
        StandardCharsets.UTF_8, StandardOpenOption.APPEND);

    // Session 2: resumed from step 200 where metrics.jsonl cannot be appended to.
    RunDirectory resumed = RunDirectory.open(dir.toString(), NoAppendLocalFileSystem.conf());
    resumed.guardConfig(config, Set.of());
    try (MetricsLog log = resumed.openMetrics()) {
      trainSteps(log, 210, 400, 2);
      log.append(segment(400, 1, "b1", 148.0, 21.0, 1.6, true));
      evaluate(resumed, log, 400);
    }
  }

  private static void trainSteps(MetricsLog log, int from, int to, int session)
      throws IOException {
    Random noise = new Random(31L * from + session);
    for (int s = from; s <= to; s += LOG_EVERY) {
      double lossIg = 0.55 * Math.exp(-s / 120.0) + 0.30 + 0.02 * noise.nextGaussian();
      double lossFinal = 0.80 * Math.exp(-s / 150.0) + 0.25 + 0.02 * noise.nextGaussian();
      double lr = 3.0e-4 * Math.min(1.0, s / 50.0); // linear warmup over train.warmup_steps
      double rate = (s - from < 20 ? 70.0 : 92.0) + 3.0 * noise.nextGaussian(); // warming up
      log.append(
          new TrainRecord(
              s,
              s * (double) BATCH / 60000,
              lossFinal + 0.5 * lossIg, // train.ig_loss_weight
              lossFinal,
              lossIg,
              0.0, // SiT: no cosine term
              1.8 * Math.exp(-s / 90.0) + 0.35 + 0.05 * noise.nextDouble(),
              lr,
              rate,
              s >= 170 ? 1 : 0,
              1,
              time(s * 700.0 + session * 60_000)));
    }
  }

  private static SegmentRecord segment(
      long step, int segment, String attempt, double seconds, double start, double commit,
      boolean warmCache) {
    return new SegmentRecord(
        step, segment, attempt, seconds, start, commit, warmCache, 0, time(step * 700.0 + 500));
  }

  private static RetryRecord retry(
      long step, int segment, String attempt, String error, double backoff) {
    return new RetryRecord(step, segment, attempt, error, backoff, time(250 * 700.0 + 500));
  }

  private static String time(double millis) {
    return START.plusMillis(Math.round(millis)).toString();
  }

  /** One guidance setting of an evaluation; the first of the list is the configured one. */
  private record Setting(String labelMode, double ig, double cfg) {
    String gridName(boolean first) {
      return first ? "grid.png" : String.format("grid-%s-ig%s-cfg%s.png", labelMode, num(ig),
          num(cfg));
    }

    private static String num(double v) {
      return v == Math.rint(v) ? Long.toString((long) v) : Double.toString(v);
    }
  }

  private static final List<Setting> SWEEP =
      List.of(
          new Setting("balanced", 1.5, 1.0),
          new Setting("balanced", 0.0, 1.0),
          new Setting("balanced", 1.0, 1.0),
          new Setting("balanced", 0.0, 1.5),
          new Setting("balanced", 1.0, 1.5),
          new Setting("balanced", 1.5, 1.5),
          new Setting("random", 1.5, 1.0));

  /** The eval records of one step: metrics.jsonl, eval/step-N/metrics.json and the grids. */
  private static void evaluate(RunDirectory run, MetricsLog log, long step) throws IOException {
    java.nio.file.Path dir = java.nio.file.Path.of(run.evalDir(step).toUri());
    String rel = "eval/" + dir.getFileName() + "/";
    double base = step >= 400 ? 34.0 : 58.0;
    List<EvalRecord> all = new ArrayList<>();
    List<Setting> gridded = new ArrayList<>(List.of(SWEEP.get(0), SWEEP.get(1), SWEEP.get(5)));
    for (int i = 0; i < SWEEP.size(); i++) {
      Setting s = SWEEP.get(i);
      // IG helps up to ~1.5, CFG a little more on top; random labels are slightly worse.
      double value = base * (1 - 0.32 * s.ig() + 0.09 * s.ig() * s.ig())
          * (s.cfg() > 1 ? 0.92 : 1.0) * (s.labelMode().equals("random") ? 1.04 : 1.0);
      String grid = null;
      if (gridded.contains(s)) {
        String name = s.gridName(i == 0);
        writeGrid(dir.resolve(name), 1000L * step + i);
        grid = rel + name;
      }
      EvalSetting setting =
          new EvalSetting(500, s.labelMode(), "sde", 50, (float) s.ig(), List.of(0f, 1f),
              (float) s.cfg(), List.of(0f, 1f));
      EvalRecord r =
          new EvalRecord(step, EvalRecord.FD_FMNIST, value, null, null,
              7.1 + 0.4 * s.ig() + step / 400.0, 0.55 + 0.05 * s.ig(), 0.60 - 0.03 * s.ig(),
              setting, "5f1c0e3a9b7d2c4e6f8a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e", null,
              null, null, null, grid, 12.5, null, time(step * 700.0 + 1000 + i));
      log.append(r);
      all.add(r);
    }
    Files.write(dir.resolve("metrics.json"), MetricsJson.prettyList(all));
  }

  /** An 8×8 grid of 28×28 grey "samples" (soft blobs), as the evaluator writes them. */
  private static void writeGrid(java.nio.file.Path file, long seed) throws IOException {
    int tile = 28;
    int n = 8;
    BufferedImage img = new BufferedImage(n * tile, n * tile, BufferedImage.TYPE_BYTE_GRAY);
    Random rnd = new Random(seed);
    for (int t = 0; t < n * n; t++) {
      double cx = 14 + 3 * rnd.nextGaussian();
      double cy = 14 + 3 * rnd.nextGaussian();
      double sx = 4 + 3 * rnd.nextDouble();
      double sy = 5 + 5 * rnd.nextDouble();
      for (int y = 0; y < tile; y++) {
        for (int x = 0; x < tile; x++) {
          double d = Math.pow((x - cx) / sx, 2) + Math.pow((y - cy) / sy, 2);
          int v = (int) Math.round(255 * Math.exp(-d) + 12 * rnd.nextGaussian());
          img.getRaster().setSample((t % n) * tile + x, (t / n) * tile + y, 0,
              Math.max(0, Math.min(255, v)));
        }
      }
    }
    try (OutputStream out = Files.newOutputStream(file)) {
      ImageIO.write(img, "png", out);
    }
  }

  /**
   * The real local filesystem without append, as on object stores (s3a): {@link MetricsLog}
   * then writes a per-session part.
   */
  public static final class NoAppendLocalFileSystem extends LocalFileSystem {
    public NoAppendLocalFileSystem() {
      super(new Raw());
    }

    static Configuration conf() {
      Configuration conf = new Configuration();
      conf.set("fs.file.impl", NoAppendLocalFileSystem.class.getName());
      conf.setBoolean("fs.file.impl.disable.cache", true);
      return conf;
    }

    /** The raw local filesystem refusing append. */
    public static final class Raw extends RawLocalFileSystem {
      @Override
      public FSDataOutputStream append(Path f, int bufferSize, Progressable progress) {
        throw new UnsupportedOperationException("append is not supported by this filesystem");
      }
    }
  }
}
