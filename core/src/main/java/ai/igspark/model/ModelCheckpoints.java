package ai.igspark.model;

import ai.igspark.data.InvalidInputException;
import ai.igspark.tensorfile.HostTensor;
import ai.igspark.tensorfile.SafetensorsFile;
import ai.igspark.tensorfile.SafetensorsWriter;
import ai.igspark.tensorfile.TorchCheckpoint;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Model weights in the official file formats (docs/ARCHITECTURE.md §3): {@code torch.save}
 * checkpoints ({@code {model, ema, …}} dicts, whose {@code ema} is preferred as in the official
 * generate.py, or a bare state dict) and safetensors files, all under the official state-dict
 * names. Exports write safetensors that PyTorch users load with {@code
 * model.load_state_dict(load_file(path))}.
 */
public final class ModelCheckpoints {
  /** safetensors metadata key holding the igspark model config as JSON. */
  public static final String CONFIG_METADATA_KEY = "igspark.model_config";

  private static final ObjectMapper JSON = new ObjectMapper();

  private ModelCheckpoints() {}

  /**
   * The weights in {@code file}: a .safetensors file, or a torch.save checkpoint whose {@code
   * ema} entry is taken when present, else {@code model}, else the file as a bare state dict.
   */
  public static Map<String, HostTensor> load(Path file) {
    if (isTorchZip(file)) {
      TorchCheckpoint ckpt = TorchCheckpoint.read(file);
      List<String> keys = ckpt.keys();
      if (keys.contains("ema")) {
        return officialNames(ckpt.stateDict("ema"));
      }
      if (keys.contains("model")) {
        return officialNames(ckpt.stateDict("model"));
      }
      return officialNames(ckpt.stateDict());
    }
    if (file.getFileName().toString().endsWith(".safetensors")) {
      try (SafetensorsFile st = SafetensorsFile.open(file)) {
        return officialNames(st.readAll());
      }
    }
    throw new InvalidInputException(
        file + ": not a model checkpoint: expected a .safetensors file or a torch.save (.pt) zip");
  }

  /**
   * Drops the wrappers PyTorch training adds to names: DDP's leading {@code module.} and
   * torch.compile's {@code _orig_mod.} (LightningDiT compiles its blocks, §2.5). No official name
   * contains either, so this never renames a real entry.
   */
  static Map<String, HostTensor> officialNames(Map<String, HostTensor> tensors) {
    Map<String, HostTensor> out = new LinkedHashMap<>();
    for (Map.Entry<String, HostTensor> e : tensors.entrySet()) {
      String name = e.getKey().replace("_orig_mod.", "");
      if (name.startsWith("module.")) {
        name = name.substring("module.".length());
      }
      out.put(name, e.getValue());
    }
    return out;
  }

  /** Loads {@code file} into {@code model}, strictly (see {@link IgDiT#loadStateDict}). */
  public static void loadInto(IgDiT model, Path file) {
    model.loadStateDict(load(file), file.toString());
  }

  /**
   * The model a weights file holds: the preset or config file the user named, else the config an
   * igspark safetensors export embedded. A {@code .pt} file does not name its model.
   *
   * @param preset a preset name, or null
   * @param configFile a model config file, or null
   */
  public static ModelConfig configFor(Path weights, String preset, Path configFile) {
    if (preset != null) {
      return Presets.get(preset);
    }
    if (configFile != null) {
      return ModelConfig.load(configFile);
    }
    if (weights.toString().endsWith(".safetensors")) {
      return embeddedConfig(weights)
          .orElseThrow(
              () ->
                  new InvalidInputException(
                      weights + ": no model config embedded; give --model or --model-config"));
    }
    throw new InvalidInputException(
        weights + ": a .pt file does not say which model it holds; give --model PRESET or"
            + " --model-config FILE");
  }

  /** The model config an igspark export embedded in its safetensors metadata, if any. */
  public static Optional<ModelConfig> embeddedConfig(Path safetensors) {
    try (SafetensorsFile st = SafetensorsFile.open(safetensors)) {
      String json = st.metadata().get(CONFIG_METADATA_KEY);
      if (json == null) {
        return Optional.empty();
      }
      return Optional.of(
          ModelConfig.fromTree(
              JSON.readTree(json), safetensors + ": metadata " + CONFIG_METADATA_KEY));
    } catch (JsonProcessingException e) {
      throw new InvalidInputException(
          safetensors + ": metadata " + CONFIG_METADATA_KEY + " is not JSON: " + e.getMessage());
    }
  }

  /**
   * Writes every state-dict entry of {@code model} (usually the EMA copy) as float32 safetensors,
   * in state-dict order, with {@code format: pt} and the model config in the metadata.
   */
  public static void exportSafetensors(IgDiT model, Path file) {
    try (OutputStream out = Files.newOutputStream(file)) {
      exportSafetensors(model, out);
    } catch (IOException e) {
      throw new InvalidInputException(file + ": cannot write: " + e.getMessage(), e);
    }
  }

  /** As {@link #exportSafetensors(IgDiT, Path)}, to a stream (e.g. HDFS); the stream stays open. */
  public static void exportSafetensors(IgDiT model, OutputStream out) throws IOException {
    exportSafetensors(model.config(), model.hostStateDict(), out);
  }

  /** Writes a state dict under official names, e.g. EMA weights held apart from a live model. */
  public static void exportSafetensors(
      ModelConfig config, Map<String, HostTensor> stateDict, OutputStream out) throws IOException {
    Map<String, String> metadata = new LinkedHashMap<>();
    metadata.put("format", "pt");
    metadata.put(CONFIG_METADATA_KEY, JSON.writeValueAsString(config.toMap()));
    new SafetensorsWriter().metadata(metadata).addAll(stateDict).write(out);
  }

  private static boolean isTorchZip(Path file) {
    try (InputStream in = Files.newInputStream(file)) {
      byte[] magic = in.readNBytes(4);
      return magic.length == 4 && magic[0] == 'P' && magic[1] == 'K' && magic[2] == 3
          && magic[3] == 4;
    } catch (NoSuchFileException e) {
      throw new InvalidInputException(file + ": no such file");
    } catch (IOException e) {
      throw new InvalidInputException(file + ": cannot read: " + e.getMessage(), e);
    }
  }
}
