package ai.igspark.ckpt;

import ai.igspark.data.Sha256;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Each way a committed checkpoint directory (on the local disk) gets damaged, by hand or by the
 * disk, and what the check that catches it says. Shared by the store tests and the training
 * tests, so both cover the same damage.
 */
public enum CheckpointDamage {
  FLIPPED_BYTES_NO_CRC("ema.safetensors: SHA-256") {
    @Override
    public void apply(Path dir) throws IOException {
      flipByte(dir.resolve(ResumeFiles.EMA));
      Files.delete(dir.resolve("." + ResumeFiles.EMA + ".crc"));
    }
  },
  FLIPPED_BYTES_WITH_CRC("ema.safetensors: Hadoop checksum mismatch") {
    @Override
    public void apply(Path dir) throws IOException {
      flipByte(dir.resolve(ResumeFiles.EMA)); // the .crc beside it now disagrees
    }
  },
  TRUNCATED_FILE("model.safetensors: size") {
    @Override
    public void apply(Path dir) throws IOException {
      try (RandomAccessFile f = new RandomAccessFile(dir.resolve(ResumeFiles.MODEL).toFile(),
          "rw")) {
        f.setLength(f.length() - 1000);
      }
    }
  },
  EDITED_STATE("state.json: SHA-256") {
    @Override
    public void apply(Path dir) throws IOException {
      Path state = dir.resolve(CheckpointStore.STATE);
      byte[] b = Files.readAllBytes(state);
      int at = new String(b, StandardCharsets.UTF_8).indexOf("\"step\":") + 7;
      b[at] = (byte) ('0' + (b[at] - '0' + 1) % 10); // another step, same length
      Files.write(state, b);
    }
  },
  STATE_UNLIKE_THE_MANIFEST("state.json differs from the state in its MANIFEST.json") {
    @Override
    public void apply(Path dir) throws IOException {
      ObjectNode state = (ObjectNode) JSON.readTree(dir.resolve(CheckpointStore.STATE).toFile());
      byte[] edited = JSON.writeValueAsBytes(state.put("world_size", 99));
      Files.write(dir.resolve(CheckpointStore.STATE), edited);
      editManifest(dir, m -> {
        dropEntry(m, CheckpointStore.STATE);
        ((ArrayNode) m.get("files")).addObject().put("name", CheckpointStore.STATE)
            .put("size", edited.length).put("sha256", Sha256.of(edited));
      });
    }
  },
  MISSING_FILE("optimizer.safetensors: listed in MANIFEST but missing") {
    @Override
    public void apply(Path dir) throws IOException {
      Files.delete(dir.resolve(ResumeFiles.OPTIMIZER));
    }
  },
  EXTRA_FILE("files not in its MANIFEST: [stray.bin]") {
    @Override
    public void apply(Path dir) throws IOException {
      Files.write(dir.resolve("stray.bin"), new byte[] {1});
    }
  },
  UNREADABLE_MANIFEST("unreadable manifest") {
    @Override
    public void apply(Path dir) throws IOException {
      Path m = dir.resolve(CheckpointStore.MANIFEST);
      Files.write(m, java.util.Arrays.copyOf(Files.readAllBytes(m), 100));
    }
  },
  MISSING_MANIFEST("has no MANIFEST.json") {
    @Override
    public void apply(Path dir) throws IOException {
      Files.delete(dir.resolve(CheckpointStore.MANIFEST));
    }
  },
  MANIFEST_WITHOUT_THE_OPTIMIZER(
      "incomplete checkpoint: its MANIFEST does not list [optimizer.safetensors]") {
    @Override
    public void apply(Path dir) throws IOException {
      editManifest(dir, m -> dropEntry(m, ResumeFiles.OPTIMIZER));
      Files.delete(dir.resolve(ResumeFiles.OPTIMIZER));
      Files.delete(dir.resolve("." + ResumeFiles.OPTIMIZER + ".crc"));
    }
  };

  private static final ObjectMapper JSON = new ObjectMapper();

  /** What the failed check's message contains. */
  public final String message;

  CheckpointDamage(String message) {
    this.message = message;
  }

  /** Damages the checkpoint in {@code dir}. */
  public abstract void apply(Path dir) throws IOException;

  /** Flips one byte in the middle of {@code file}: same size, another SHA-256. */
  public static void flipByte(Path file) throws IOException {
    try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
      long at = f.length() / 2;
      f.seek(at);
      int b = f.read();
      f.seek(at);
      f.write(b ^ 0x5a);
    }
  }

  /** Rewrites MANIFEST.json through {@code edit} (a hand edit: the store never does this). */
  static void editManifest(Path dir, java.util.function.Consumer<ObjectNode> edit)
      throws IOException {
    ObjectNode m = (ObjectNode) JSON.readTree(dir.resolve(CheckpointStore.MANIFEST).toFile());
    edit.accept(m);
    Files.write(dir.resolve(CheckpointStore.MANIFEST), JSON.writeValueAsBytes(m));
  }

  private static void dropEntry(ObjectNode manifest, String name) {
    ArrayNode files = (ArrayNode) manifest.get("files");
    for (int i = files.size() - 1; i >= 0; i--) {
      if (files.get(i).get("name").asText().equals(name)) {
        files.remove(i);
      }
    }
  }
}
