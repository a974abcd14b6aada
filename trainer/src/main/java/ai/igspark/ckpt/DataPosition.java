package ai.igspark.ckpt;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;

/**
 * Where a checkpoint left the sample stream (docs/ARCHITECTURE.md §2 "Order"): step {@code step}
 * starts at stream position {@code position}. From there every step takes the next global batch,
 * so a run resumed with another {@code train.global_batch} continues at the exact position: over
 * the epoch no sample is skipped or repeated. Without a change of batch, {@code position =
 * step·B}.
 */
public record DataPosition(long step, long position) {
  /** A run's first step. */
  public static final DataPosition START = new DataPosition(0, 0);
  private static final ObjectMapper JSON = new ObjectMapper();

  public DataPosition {
    if (step < 0 || position < 0) {
      throw new IllegalArgumentException("step " + step + ", position " + position);
    }
  }

  /** The stream position of step {@code s} ≥ {@link #step()}, {@code globalBatch} per step. */
  public long at(long s, int globalBatch) {
    if (s < step) {
      throw new IllegalArgumentException("step " + s + " is before " + step);
    }
    return Math.addExact(position, Math.multiplyExact(s - step, (long) globalBatch));
  }

  /** The position a committed checkpoint's state records. */
  public static DataPosition of(Checkpoint c) throws CheckpointIntegrityException {
    return of(c.state(), c.dir().toString());
  }

  /** The position of the checkpoint in {@code checkpointDir}, read verified; START for null. */
  public static DataPosition read(String checkpointDir, Configuration conf) throws IOException {
    if (checkpointDir == null) {
      return START;
    }
    try (InputStream in =
        CheckpointReader.open(new Path(checkpointDir, CheckpointStore.STATE).toString(), conf)) {
      return of(JSON.readTree(in), checkpointDir);
    }
  }

  static DataPosition of(JsonNode state, String source) throws CheckpointIntegrityException {
    JsonNode step = state.path("step");
    JsonNode position = state.path("data_position");
    if (!step.canConvertToLong() || !position.canConvertToLong()) {
      throw new CheckpointIntegrityException(
          source + ": state.json has no step and data_position: " + state);
    }
    return new DataPosition(step.asLong(), position.asLong());
  }
}
