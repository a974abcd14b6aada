package ai.igspark.metrics.tensorboard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.igspark.metrics.EvalRecord;
import ai.igspark.metrics.EvalSetting;
import ai.igspark.metrics.TrainRecord;
import ai.igspark.metrics.tensorboard.TfEventsReader.Event;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import javax.imageio.ImageIO;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The driver's records become TensorBoard scalars and images, read by the independent reader. */
class TensorBoardMetricsTest {
  @TempDir Path run;

  private static TrainRecord train(long step, double loss) {
    return new TrainRecord(step, 0.5, loss, loss * 0.6, loss * 0.4, 0, 1.25, 1e-4, 300, 0, 1,
        "2026-01-01T00:00:00Z");
  }

  @Test
  void trainAndEvalRecordsBecomeScalarsAndTheSampleGridAnImage() throws Exception {
    BufferedImage grid = new BufferedImage(4, 2, BufferedImage.TYPE_INT_RGB);
    grid.setRGB(1, 1, 0x336699);
    Files.createDirectories(run.resolve("eval/step-4"));
    ImageIO.write(grid, "png", run.resolve("eval/step-4/grid.png").toFile());
    EvalSetting setting = new EvalSetting(100, "balanced", "ode-heun", 50, 1.5f,
        List.of(0f, 1f), 1f, List.of(0f, 0.7f));
    EvalRecord eval = new EvalRecord(4, "fd_fmnist", 12.5, null, null, 3.25, null, null, setting,
        null, null, null, null, null, "eval/step-4/grid.png", 2.0, null, "2026-01-01T00:00:00Z");
    FileSystem fs = FileSystem.getLocal(new Configuration()).getRaw();
    try (TensorBoardMetrics tb =
        TensorBoardMetrics.open(fs, new org.apache.hadoop.fs.Path(run.toUri()), 0)) {
      tb.accept(train(2, 1.0));
      tb.accept(train(4, 0.5));
      tb.accept(eval);
      tb.accept(EvalRecord.failed(6, "boom", "2026-01-01T00:00:00Z"));
    }
    Map<String, Float> scalars = new TreeMap<>();
    Event image = null;
    for (Event e : TfEventsReader.events(run.resolve("tensorboard"))) {
      if (!e.what().equals("summary")) {
        continue;
      }
      if (e.value().has("image")) {
        image = e;
      } else {
        scalars.put(e.tag() + "@" + e.step(), Float.intBitsToFloat(e.scalarBits()));
      }
    }
    String tag = "ig1.5[0.0,1.0]_cfg1.0[0.0,0.7]_ode-heun_50";
    assertEquals(1.0f, scalars.get("train/loss@2"));
    assertEquals(0.2f, scalars.get("train/loss_ig@4"));
    assertEquals(1e-4f, scalars.get("train/lr@4"));
    assertEquals(12.5f, scalars.get("eval/fd_fmnist/" + tag + "@4"), scalars.toString());
    assertEquals(3.25f, scalars.get("eval/classifier_score/" + tag + "@4"));
    assertTrue(scalars.keySet().stream().noneMatch(k -> k.endsWith("@6")), "a failed eval");
    assertEquals("eval/samples/" + tag, image.tag());
    assertEquals(ImageGrid.of(grid), image.image());
  }
}
