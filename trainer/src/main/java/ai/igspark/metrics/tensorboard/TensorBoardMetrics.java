package ai.igspark.metrics.tensorboard;

import ai.igspark.metrics.EvalRecord;
import ai.igspark.metrics.EvalSetting;
import ai.igspark.metrics.GridRecord;
import ai.igspark.metrics.MetricsRecord;
import ai.igspark.metrics.SegmentRecord;
import ai.igspark.metrics.TrainRecord;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.InputStream;
import java.util.Locale;
import javax.imageio.ImageIO;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The driver's metrics records as TensorBoard scalars and images, in the run directory's
 * {@code tensorboard/} folder (docs/checkpoints.md): losses, IG-head loss, gradient norm, lr and
 * throughput from {@code train} records, segment timings, and every evaluation metric under a tag
 * that names its guidance setting, with its sample grid, and the fixed grids of {@code
 * eval.grid_every_steps} under {@code eval/grid}. Like {@link TensorBoardWriter}, it never
 * throws into training.
 */
public final class TensorBoardMetrics implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(TensorBoardMetrics.class);

  private final TensorBoardWriter writer;
  private final FileSystem fs;
  private final Path runRoot;

  private TensorBoardMetrics(TensorBoardWriter writer, FileSystem fs, Path runRoot) {
    this.writer = writer;
    this.fs = fs;
    this.runRoot = runRoot;
  }

  /** Opens {@code <runRoot>/tensorboard/}; a session starting at {@code firstStep}. */
  public static TensorBoardMetrics open(FileSystem fs, Path runRoot, long firstStep) {
    TensorBoardWriter w = TensorBoardWriter.open(fs, new Path(runRoot, "tensorboard"));
    w.sessionStart(firstStep);
    return new TensorBoardMetrics(w, fs, runRoot);
  }

  /** Writes what {@code record} holds for TensorBoard and flushes it. */
  public void accept(MetricsRecord record) {
    if (record instanceof TrainRecord t) {
      writer.scalar("train/loss", t.step(), t.loss());
      writer.scalar("train/loss_final", t.step(), t.lossFinal());
      writer.scalar("train/loss_ig", t.step(), t.lossIg());
      writer.scalar("train/loss_cos", t.step(), t.lossCos());
      writer.scalar("train/grad_norm", t.step(), t.gradNorm());
      writer.scalar("train/lr", t.step(), t.lr());
      writer.scalar("train/samples_per_s", t.step(), t.samplesPerS());
      writer.scalar("train/epoch", t.step(), t.epoch());
    } else if (record instanceof SegmentRecord s) {
      writer.scalar("segment/seconds", s.step(), s.seconds());
      writer.scalar("segment/commit_seconds", s.step(), s.commitSeconds());
    } else if (record instanceof EvalRecord e && e.error() == null && e.value() != null) {
      String setting = settingTag(e.setting());
      writer.scalar("eval/" + e.metric() + "/" + setting, e.step(), e.value());
      scalarIfSet("eval/sfid/" + setting, e.step(), e.sfid());
      scalarIfSet("eval/inception_score/" + setting, e.step(), e.inceptionScore());
      scalarIfSet("eval/classifier_score/" + setting, e.step(), e.classifierScore());
      scalarIfSet("eval/precision/" + setting, e.step(), e.precision());
      scalarIfSet("eval/recall/" + setting, e.step(), e.recall());
      if (e.grid() != null) {
        image("eval/samples/" + setting, e.step(), new Path(runRoot, e.grid()));
      }
    } else if (record instanceof GridRecord g && g.grid() != null) {
      image("eval/grid", g.step(), new Path(runRoot, g.grid()));
    } else {
      return;
    }
    writer.flush();
  }

  public TensorBoardWriter.Health health() {
    return writer.health();
  }

  @Override
  public void close() {
    writer.close();
  }

  private void scalarIfSet(String tag, long step, Double value) {
    if (value != null) {
      writer.scalar(tag, step, value);
    }
  }

  private void image(String tag, long step, Path png) {
    try (InputStream in = fs.open(png)) {
      BufferedImage image = ImageIO.read(in);
      if (image != null) {
        writer.image(tag, step, ImageGrid.of(image));
      }
    } catch (IOException | RuntimeException e) {
      LOG.warn("TensorBoard: cannot read the sample grid {}: {}", png, e.toString());
    }
  }

  /** A tag part naming a guidance setting, e.g. {@code ig1.5[0.0,1.0]_cfg1.0[0.0,0.7]_ode-heun_50}. */
  static String settingTag(EvalSetting s) {
    if (s == null) {
      return "default";
    }
    return String.format(Locale.ROOT, "ig%s%s_cfg%s%s_%s_%s", num(s.igScale()),
        interval(s.igInterval()), num(s.cfgScale()), interval(s.cfgInterval()),
        s.sampler() == null ? "sampler" : s.sampler(), s.steps() == null ? "" : s.steps());
  }

  private static String interval(java.util.List<Float> lohi) {
    return lohi == null || lohi.size() != 2 ? "" : "[" + num(lohi.get(0)) + "," + num(lohi.get(1))
        + "]";
  }

  private static String num(Float f) {
    return f == null ? "1" : (f == Math.rint(f) ? String.format(Locale.ROOT, "%.1f", f)
        : String.valueOf(f));
  }
}
