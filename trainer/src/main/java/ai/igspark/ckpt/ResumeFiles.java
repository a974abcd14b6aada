package ai.igspark.ckpt;

import java.util.List;

/**
 * The files a training resume reads from a committed checkpoint (docs/ARCHITECTURE.md §5). A
 * manifest that does not list every one of them is an incomplete checkpoint: the store refuses to
 * commit it and no reader accepts it.
 */
public final class ResumeFiles {
  /** The trained weights under official names. */
  public static final String MODEL = "model.safetensors";
  /** The EMA weights: what export, sample and evaluation read. */
  public static final String EMA = "ema.safetensors";
  /** The optimizer's moments and its step count. */
  public static final String OPTIMIZER = "optimizer.safetensors";
  /** Every file a committed checkpoint's manifest must list; state.json is the driver's. */
  public static final List<String> REQUIRED =
      List.of(MODEL, EMA, OPTIMIZER, CheckpointStore.STATE);
  /** The files ranks write (all of {@link #REQUIRED} but state.json). */
  static final List<String> WRITTEN_BY_RANKS = List.of(MODEL, EMA, OPTIMIZER);

  private ResumeFiles() {}
}
