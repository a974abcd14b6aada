package ai.igspark.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.igspark.testsupport.MiniHdfs;
import java.nio.file.Path;
import java.util.Set;
import org.apache.hadoop.fs.FileSystem;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A run whose data and checkpoints live on a real (in-process) HDFS, stopped after its first
 * segment and resumed by a fresh driver, ends bitwise equal to an uninterrupted run on local disk.
 */
class HdfsTrainingTest {
  @RegisterExtension static final MiniHdfs hdfs = MiniHdfs.named("train");
  @RegisterExtension static final LocalTraining training = new LocalTraining();

  @TempDir Path dir;

  private void train(Path config, Set<String> allowed) throws Exception {
    training.train(config, allowed);
  }

  @Test
  void runOnHdfsResumesFromLatestBitwiseEqualToAnUninterruptedRun() throws Exception {
    String localManifest = training.manifest();
    FileSystem fs = FileSystem.get(java.net.URI.create(hdfs.uri("/")), hdfs.conf());
    fs.copyFromLocalFile(
        new org.apache.hadoop.fs.Path(training.shared().resolve("tiny-data").toString()),
        new org.apache.hadoop.fs.Path("/data/tiny-data"));
    String hdfsManifest = hdfs.uri("/data/tiny-data/dataset.json");
    String hdfsRun = hdfs.uri("/runs/interrupted");

    Path straight = dir.resolve("straight");
    train(TinyRun.config(dir, "straight", straight.toString(), localManifest, 6, 3, 1), Set.of());

    train(TinyRun.config(dir, "interrupted", hdfsRun, hdfsManifest, 3, 3, 1), Set.of());
    WarmCache.clear(); // the driver died: the next one starts cold from LATEST
    assertFalse(fs.exists(new org.apache.hadoop.fs.Path("/runs/interrupted/checkpoints/step-00000006")));
    train(
        TinyRun.config(dir, "interrupted", hdfsRun, hdfsManifest, 6, 3, 1),
        Set.of("train.steps"));

    Path copy = dir.resolve("from-hdfs.safetensors");
    fs.copyToLocalFile(
        new org.apache.hadoop.fs.Path("/runs/interrupted/checkpoints/step-00000006/"
            + TrainingState.EMA_FILE),
        new org.apache.hadoop.fs.Path(copy.toString()));
    assertTrue(copy.toFile().length() > 0);
    assertArrayEquals(
        TinyRun.tensorBytes(
            straight.resolve("checkpoints/step-00000006").resolve(TrainingState.EMA_FILE)),
        TinyRun.tensorBytes(copy));
  }
}
