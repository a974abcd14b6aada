package ai.igspark.train;

import ai.igspark.config.RunConfig;
import ai.igspark.ckpt.MetricsLog;
import ai.igspark.metrics.MetricRecord;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintStream;
import java.time.Instant;
import java.util.Locale;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns the step records rank 0 streams during a segment into the driver's live console line and
 * the {@code train} records of metrics.jsonl (docs/checkpoints.md "Metrics records").
 */
final class TrainingProgress {
  private static final Logger LOG = LoggerFactory.getLogger(TrainingProgress.class);
  private static final ObjectMapper JSON = new ObjectMapper();
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
  /** Losses of the latest record that carried them (rank 0 sends them on log steps only). */
  private Map<String, Object> lastLosses = Map.of();

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

  void onRecord(MetricRecord record) {
    Map<String, Object> f = record.fields();
    if (!"step".equals(f.get("type"))) {
      return;
    }
    long step = ((Number) f.get("step")).longValue();
    if (f.containsKey("loss_final")) {
      lastLosses = f;
    }
    double sps = number(f, "samples_per_s");
    emaSamplesPerSecond = emaSamplesPerSecond == 0 ? sps : 0.9 * emaSamplesPerSecond + 0.1 * sps;
    if (step % logEvery == 0 || step == totalSteps) {
      append(f, step);
    }
    long now = System.nanoTime();
    if (now - lastConsole >= CONSOLE_EVERY_NANOS || step == totalSteps) {
      lastConsole = now;
      String line = line(f, step);
      if (interactive) {
        console.print("\r" + line + "   ");
        if (step == totalSteps) {
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

  private String line(Map<String, Object> f, long step) {
    return String.format(
        Locale.ROOT,
        "step %d/%d | loss %.4f | ig-head %.4f | grad-norm %.3f | %.1f samples/s | ETA %s",
        step,
        totalSteps,
        totalLoss(lastLosses),
        number(lastLosses, "loss_ig"),
        number(f, "grad_norm"),
        emaSamplesPerSecond,
        eta(step));
  }

  /** L = L_final + λ·L_inter (+ the cosine term), docs/METHOD.md §2.3. */
  private double totalLoss(Map<String, Object> f) {
    double cos = number(f, "loss_cos");
    return number(f, "loss_final") + igLossWeight * number(f, "loss_ig")
        + (Double.isNaN(cos) ? 0 : cos);
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

  private void append(Map<String, Object> f, long step) {
    ObjectNode r = JSON.createObjectNode();
    r.put("kind", "train");
    r.put("step", step);
    r.put("epoch", number(f, "epoch"));
    r.put("loss", totalLoss(f));
    r.put("loss_final", number(f, "loss_final"));
    r.put("loss_ig", number(f, "loss_ig"));
    r.put("loss_cos", number(f, "loss_cos"));
    r.put("grad_norm", number(f, "grad_norm"));
    r.put("lr", number(f, "lr"));
    r.put("samples_per_s", number(f, "samples_per_s"));
    r.put("skipped_steps", ((Number) f.get("skipped_steps")).longValue());
    r.put("world_size", worldSize);
    r.put("time", Instant.now().toString());
    try {
      log.append(r);
    } catch (IOException e) {
      LOG.warn("could not append to {}: {}", log.file(), e.getMessage());
    }
  }

  private static double number(Map<String, Object> f, String key) {
    Object v = f.get(key);
    return v instanceof Number n ? n.doubleValue() : Double.NaN;
  }
}
