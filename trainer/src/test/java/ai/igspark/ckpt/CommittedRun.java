package ai.igspark.ckpt;

import ai.djl.ndarray.NDManager;
import ai.igspark.model.IgDiT;
import ai.igspark.model.ModelCheckpoints;
import ai.igspark.model.ModelConfig;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Path;
import org.apache.hadoop.conf.Configuration;

/**
 * A run directory with committed checkpoints the way {@code igspark train} leaves them (through
 * the real store and writer), each holding the weights of a freshly initialised model: seed =
 * step, so every step's EMA differs. Shared by the command-line and evaluation tests.
 */
public final class CommittedRun {
  private CommittedRun() {}

  /** Commits {@code steps} (ascending) into {@code runDir}; LATEST names the last. */
  public static Path create(Path runDir, ModelConfig config, long... steps) throws IOException {
    CheckpointStore store = RunDirectory.open(runDir.toString(), new Configuration())
        .checkpoints(CommitPolicy.defaults());
    for (long step : steps) {
      String attempt = store.newAttempt(step);
      CheckpointWriter w = store.writer(step, attempt);
      try (NDManager m = NDManager.newBaseManager();
          IgDiT model = IgDiT.create(config, m, step)) {
        w.write(ResumeFiles.MODEL, out -> ModelCheckpoints.exportSafetensors(model, out));
        w.write(ResumeFiles.EMA, out -> ModelCheckpoints.exportSafetensors(model, out));
      }
      w.write(ResumeFiles.OPTIMIZER, out -> out.write(new byte[] {0}));
      store.commit(step, attempt, new ObjectMapper().createObjectNode().put("step", step),
          w.files());
    }
    return runDir;
  }

  /** {@code <run>/checkpoints/step-N/<name>}. */
  public static Path file(Path runDir, long step, String name) {
    return runDir.resolve("checkpoints").resolve(CheckpointStore.stepName(step)).resolve(name);
  }

  /**
   * Flips 8 bytes of weight data at the end of {@code file} (bit rot): the size stays, the
   * SHA-256 changes. With {@code keepCrc} the Hadoop .crc beside it is kept, so a checksummed
   * read fails first; without it only the manifest can tell.
   */
  public static void rot(Path file, boolean keepCrc) throws IOException {
    try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
      for (long at = f.length() - 16; at < f.length() - 8; at++) {
        f.seek(at);
        int b = f.read();
        f.seek(at);
        f.write(b ^ 0x7f);
      }
    }
    if (!keepCrc) {
      java.nio.file.Files.delete(file.resolveSibling("." + file.getFileName() + ".crc"));
    }
  }
}
