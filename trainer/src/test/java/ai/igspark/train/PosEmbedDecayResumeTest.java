package ai.igspark.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import ai.igspark.tensorfile.SafetensorsFile;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A Muon run that decays the frozen pos_embed (docs/METHOD.md §2.5) resumes bitwise: the decayed
 * pos_embed is stored in the model and EMA files and restored from them, not recomputed.
 */
class PosEmbedDecayResumeTest {
  @RegisterExtension static final LocalTraining training = new LocalTraining();

  @TempDir Path dir;

  private static Path checkpoint(Path run, long step) {
    return run.resolve("checkpoints").resolve(String.format("step-%08d", step));
  }

  private Path config(String name, Path run, long steps) throws Exception {
    return MuonTinyRun.config(dir, name, run.toString(), training.manifest(), steps, 2, true);
  }

  @Test
  void aResumedRunEndsBitwiseEqualToAnUninterruptedOne() throws Exception {
    Path straight = dir.resolve("straight");
    training.train(config("straight", straight, 4), Set.of());
    Path interrupted = dir.resolve("interrupted");
    training.train(config("interrupted", interrupted, 2), Set.of());
    WarmCache.clear(); // a new driver JVM: nothing warm, state comes from the checkpoint
    training.train(config("interrupted", interrupted, 4), Set.of("train.steps"));

    for (String file : new String[] {
        TrainingState.MODEL_FILE, TrainingState.EMA_FILE, TrainingState.OPTIMIZER_FILE}) {
      assertArrayEquals(TinyRun.tensorBytes(checkpoint(straight, 4).resolve(file)),
          TinyRun.tensorBytes(checkpoint(interrupted, 4).resolve(file)), file);
    }
    assertFalse(Arrays.equals(posEmbed(checkpoint(straight, 2)), posEmbed(checkpoint(straight, 4))),
        "pos_embed decays between the checkpoints, so a recomputed one would differ");
  }

  private static float[] posEmbed(Path checkpoint) throws Exception {
    try (SafetensorsFile f = SafetensorsFile.open(checkpoint.resolve(TrainingState.MODEL_FILE))) {
      return f.read(TrainingRecipe.POS_EMBED).toFloats();
    }
  }
}
