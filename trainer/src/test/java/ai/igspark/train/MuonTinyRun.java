package ai.igspark.train;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * {@link TinyRun}'s config as a tiny LightningDiT on the Muon recipe, with a weight decay and
 * warm-up large enough that the frozen pos_embed's decay (docs/METHOD.md §2.5) shows in a few
 * steps.
 */
final class MuonTinyRun {
  static final double LR = 1.0e-2;
  static final double WEIGHT_DECAY = 0.5;
  static final long WARMUP = 3;

  private MuonTinyRun() {}

  /** The run config; {@code decayPosEmbed} is {@code train.optimizer.decay_frozen_pos_embed}. */
  static Path config(Path dir, String name, String runDir, String manifest, long steps,
      long everySteps, boolean decayPosEmbed) throws IOException {
    Path file = TinyRun.config(dir, name, runDir, manifest, steps, everySteps, 1);
    String yaml = replaceOnce(Files.readString(file), "family: sit", "family: lightningdit");
    yaml = replaceOnce(yaml, "optimizer: {name: adamw, lr: 1.0e-3}",
        "optimizer: {name: muon, lr: %s, aux_lr: %s, weight_decay: %s, decay_frozen_pos_embed: %s}\n"
            .formatted(LR, LR, WEIGHT_DECAY, decayPosEmbed)
            + "  warmup_steps: " + WARMUP);
    Files.writeString(file, yaml);
    return file;
  }

  private static String replaceOnce(String yaml, String from, String to) {
    if (!yaml.contains(from)) {
      throw new IllegalStateException("TinyRun's config no longer holds '" + from + "'");
    }
    return yaml.replace(from, to);
  }
}
