package ai.igspark.ckpt;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.util.List;
import java.util.Optional;

/**
 * MANIFEST.json, the commit record of a checkpoint: written last by the driver, it lists every
 * file with its size and SHA-256, the step, the attempt that wrote it and the training state.
 */
public record CheckpointManifest(
    String format,
    long step,
    String attempt,
    @JsonProperty("committed_at") String committedAt,
    JsonNode state,
    List<FileEntry> files) {
  public static final String FORMAT = "igspark-checkpoint/1";
  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  public CheckpointManifest {
    files = List.copyOf(files);
  }

  /** The entry of {@code name}, if the checkpoint has that file. */
  public Optional<FileEntry> file(String name) {
    return files.stream().filter(f -> f.name().equals(name)).findFirst();
  }

  byte[] toBytes() {
    try {
      return JSON.writeValueAsBytes(this);
    } catch (IOException e) {
      throw new IllegalStateException("cannot serialize a manifest", e);
    }
  }

  static CheckpointManifest parse(byte[] bytes, String where) throws CheckpointIntegrityException {
    try {
      CheckpointManifest m = JSON.readValue(bytes, CheckpointManifest.class);
      if (!FORMAT.equals(m.format())) {
        throw new CheckpointIntegrityException(
            where + ": unknown manifest format '" + m.format() + "', expected " + FORMAT);
      }
      return m;
    } catch (IOException | IllegalArgumentException e) {
      if (e instanceof CheckpointIntegrityException c) {
        throw c;
      }
      throw new CheckpointIntegrityException(where + ": unreadable manifest: " + e.getMessage(), e);
    }
  }
}
