package ai.igspark.cli;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import ai.igspark.model.IgDiT;
import ai.igspark.model.ModelCheckpoints;
import ai.igspark.model.ModelConfig;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

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
  @Spec CommandSpec spec;

  @Mixin CheckpointOptions source;

  @Option(names = "--output", required = true, description = "The safetensors file to write.")
  Path output;

  @Mixin DeviceOption device;

  @Override
  public Integer call() throws Exception {
    OutputGuard.check("--output", output, source.file, source.modelConfigFile);
    Device on = device.resolve();
    Path weights = source.weights();
    ModelConfig config = source.modelConfig(weights);
    try (NDManager manager = NDManager.newBaseManager(on);
        IgDiT model = IgDiT.create(config, manager, 0)) {
      model.loadStateDict(ModelCheckpoints.load(weights), weights.toString());
      ModelCheckpoints.exportSafetensors(model, output);
    }
    spec.commandLine().getOut().println("wrote " + output + " (EMA weights of " + weights + ")");
    return 0;
  }
}
