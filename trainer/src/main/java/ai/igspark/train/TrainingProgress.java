package ai.igspark.train;

import ai.igspark.ckpt.MetricsLog;
import ai.igspark.config.RunConfig;
import ai.igspark.metrics.ReceivedRecord;
import ai.igspark.metrics.StepRecord;
import ai.igspark.metrics.TrainRecord;
import java.io.PrintStream;
import java.time.Instant;
import java.util.Locale;

/**
 * Turns the step records rank 0 streams during a segment into the driver's live console line and
 * the {@code train} records of metrics.jsonl (docs/checkpoints.md "Metrics records").
 */
final class TrainingProgress {
  private static final long CONSOLE_EVERY_NANOS = 2_000_000_000L;

  private final PrintStream console;
  private final MetricsLog log;
  private final long totalSteps;
  private final int logEvery;
  private int worldSize;
  private final boolean interactive;
  private final double igLossWeight;
  private final int globalBatch;
  private long lastConsole;
  private double emaSamplesPerSecond;
  /** The latest record that carried losses (rank 0 sends them on log steps only), or null. */
  private StepRecord lastLosses;

  TrainingProgress(
      PrintStream console, MetricsLog log, long totalSteps, RunConfig.Train train, int world) {
    this.console = console;
    this.log = log;
    this.totalSteps = totalSteps;
    this.logEvery = train.logEvery();
    this.igLossWeight = train.igLossWeight();
    this.globalBatch = train.globalBatch();
    this.worldSize = world;
    this.interactive = System.console() != null;
  }

  void onRecord(ReceivedRecord received) {
    if (!(received.record() instanceof StepRecord r)) {
      return;
    }
    if (r.hasLosses()) {
      lastLosses = r;
    }
    double sps = r.samplesPerS();
    emaSamplesPerSecond = emaSamplesPerSecond == 0 ? sps : 0.9 * emaSamplesPerSecond + 0.1 * sps;
    if (r.step() % logEvery == 0 || r.step() == totalSteps) {
      append(r);
    }
    long now = System.nanoTime();
    if (now - lastConsole >= CONSOLE_EVERY_NANOS || r.step() == totalSteps) {
      lastConsole = now;
      String line = line(r);
      if (interactive) {
        console.print("\r" + line + "   ");
        if (r.step() == totalSteps) {
          console.println();
        }
      } else {
        console.println(line);
      }
      console.flush();
    }
  }

  /** The world size later records report (the driver may shrink it: allow_smaller_world). */
  void worldSize(int world) {
    this.worldSize = world;
  }

  /** Ends the live line before other output. */
  void breakLine() {
    if (interactive && lastConsole != 0) {
      console.println();
    }
  }

  private String line(StepRecord r) {
    return String.format(
        Locale.ROOT,
        "step %d/%d | loss %.4f | ig-head %.4f | grad-norm %.3f | %.1f samples/s | ETA %s",
        r.step(),
        totalSteps,
        totalLoss(lastLosses),
        orNaN(lastLosses == null ? null : lastLosses.lossIg()),
        r.gradNorm(),
        emaSamplesPerSecond,
        eta(r.step()));
  }

  /** L = L_final + λ·L_inter (+ the cosine term), docs/METHOD.md §2.3; NaN before any losses. */
  private double totalLoss(StepRecord r) {
    if (r == null) {
      return Double.NaN;
    }
    double cos = orNaN(r.lossCos());
    return orNaN(r.lossFinal()) + igLossWeight * orNaN(r.lossIg()) + (Double.isNaN(cos) ? 0 : cos);
  }

  private String eta(long step) {
    if (emaSamplesPerSecond <= 0) {
      return "?";
    }
    long seconds = Math.round((totalSteps - step) * (double) globalBatch / emaSamplesPerSecond);
    return seconds >= 3600
        ? String.format(Locale.ROOT, "%dh%02dm", seconds / 3600, seconds / 60 % 60)
        : String.format(Locale.ROOT, "%dm%02ds", seconds / 60, seconds % 60);
  }

  private void append(StepRecord r) {
    TrainRecord train =
        new TrainRecord(
            r.step(),
            r.epoch(),
            totalLoss(r),
            orNaN(r.lossFinal()),
            orNaN(r.lossIg()),
            orNaN(r.lossCos()),
            r.gradNorm(),
            decimal(r.lr()),
            r.samplesPerS(),
            r.skippedSteps(),
            worldSize,
            Instant.now().toString());
    log.append(train); // a failing disk holds the record and warns: it never fails a step
  }

  private static double orNaN(Double v) {
    return v != null ? v : Double.NaN;
  }

  /** The double that the float's shortest decimal names (1.0E-4 stays 1.0E-4 in metrics.jsonl). */
  private static double decimal(float f) {
    return Double.parseDouble(Float.toString(f));
  }
}
