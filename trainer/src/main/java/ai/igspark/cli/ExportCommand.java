package ai.igspark.cli;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import ai.igspark.model.IgDiT;
import ai.igspark.model.ModelCheckpoints;
import ai.igspark.model.ModelConfig;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code igspark export}: EMA weights as a safetensors file under the official PyTorch names, so
 * the official code loads it with {@code load_state_dict}; the model config rides along in the
 * file's metadata for igspark.
 */
@Command(
    name = "export",
    mixinStandardHelpOptions = true,
    description = {
      "Export EMA weights as safetensors under the official PyTorch names.",
      "From a run directory's committed checkpoint (--run, the LATEST one unless --step) or from",
      "a weights file (.pt as torch.save writes it: its 'ema' entry; or .safetensors). Files of",
      "a committed checkpoint are verified against its manifest (SHA-256) first. Every name and",
      "shape is checked against the model before anything is written; --output may not lie in",
      "a checkpoint or replace an input."
    })
final class ExportCommand implements Callable<Integer> {

  @ArgGroup(exclusive = true, multiplicity = "1")
  WeightsSource source;

  @Option(names = "--step", description = "Checkpoint step of --run (default: LATEST).")
  Long step;

  @Option(names = "--model", description = "Model preset, when the weights do not name it.")
  String preset;

  @Option(names = "--model-config", description = "Model config file, ditto.")
  Path modelConfig;

  @Option(names = "--output", required = true, description = "The safetensors file to write.")
  Path output;

  @Mixin DeviceOption device;

  @Override
  public Integer call() throws Exception {
    OutputGuard.check("--output", output, source.checkpoint, modelConfig);
    Device on = device.resolve();
    Path weights = source.resolve(step);
    ModelConfig config = config(weights);
    try (NDManager manager = NDManager.newBaseManager(on);
        IgDiT model = IgDiT.create(config, manager, 0)) {
      model.loadStateDict(ModelCheckpoints.load(weights), weights.toString());
      ModelCheckpoints.exportSafetensors(model, output);
    }
    System.out.println("wrote " + output + " (EMA weights of " + weights + ")");
    return 0;
  }

  private ModelConfig config(Path weights) {
    return ModelCheckpoints.configFor(weights, preset, modelConfig);
  }
}
