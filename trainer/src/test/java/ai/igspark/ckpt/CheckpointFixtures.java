package ai.igspark.ckpt;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/** Writes and reads checkpoint payloads the way ranks and resumers do. */
final class CheckpointFixtures {
  private CheckpointFixtures() {}

  /** Deterministic pseudo-random bytes for {@code (seed, size)}. */
  static byte[] payload(long seed, int size) {
    byte[] b = new byte[size];
    new Random(seed).nextBytes(b);
    return b;
  }

  static Map<String, byte[]> files(long step) {
    Map<String, byte[]> files = new LinkedHashMap<>();
    files.put("model.safetensors", payload(step, 70_000));
    files.put("ema.safetensors", payload(step + 1, 70_000));
    files.put("optimizer.safetensors", payload(step + 2, 140_000));
    return files;
  }

  /** Writes {@code files} through a writer of a fresh attempt and returns the entries. */
  static List<FileEntry> write(CheckpointStore store, long step, String attempt,
      Map<String, byte[]> files) throws IOException {
    CheckpointWriter w = store.writer(step, attempt);
    List<FileEntry> out = new ArrayList<>();
    for (var e : files.entrySet()) {
      out.add(w.write(e.getKey(), s -> s.write(e.getValue())));
    }
    return out;
  }

  static Checkpoint writeAndCommit(CheckpointStore store, long step) throws IOException {
    String attempt = store.newAttempt(step);
    List<FileEntry> entries = write(store, step, attempt, files(step));
    return store.commit(step, attempt, state(step), entries);
  }

  static com.fasterxml.jackson.databind.JsonNode state(long step) {
    return new com.fasterxml.jackson.databind.ObjectMapper()
        .createObjectNode().put("step", step).put("epoch", step / 100).put("world_size", 2);
  }

  static byte[] readAll(Checkpoint c, String name) throws IOException {
    try (InputStream in = c.read(name)) {
      return in.readAllBytes();
    }
  }
}
