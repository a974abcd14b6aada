package ai.igspark.cli;

import ai.igspark.model.ModelConfig;
import ai.igspark.model.ParameterCount;
import ai.igspark.model.Presets;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code igspark model-info}: a model's shape and its parameter count by part, from the config. */
@Command(
    name = "model-info",
    mixinStandardHelpOptions = true,
    description = "Print a model's configuration and its parameter count by part (no allocation).")
final class ModelInfoCommand implements Runnable {
  @Spec CommandSpec spec;

  @ArgGroup(exclusive = true, multiplicity = "1")
  Source source;

  static final class Source {
    @Option(
        names = "--model",
        paramLabel = "PRESET",
        description = "A preset name, e.g. SiT-XL/2, LightningDiT-XL/1, sit-demo.")
    String preset;

    @Option(
        names = "--model-config",
        paramLabel = "FILE",
        description = "A YAML/JSON model config: 'preset: NAME' plus overrides, or all keys.")
    Path file;
  }

  @Override
  public void run() {
    ModelConfig cfg;
    String name;
    if (source.preset != null) {
      cfg = Presets.get(source.preset);
      name = source.preset;
    } else {
      cfg = ModelConfig.load(source.file);
      name = source.file.toString();
    }
    print(spec.commandLine().getOut(), name, cfg);
  }

  static void print(PrintWriter out, String name, ModelConfig cfg) {
    out.println("model: " + name);
    for (Map.Entry<String, Object> e : cfg.toMap().entrySet()) {
      out.printf("  %-20s %s%n", e.getKey(), e.getValue());
    }
    out.printf("  %-20s %d (%d×%d grid)%n", "tokens", cfg.tokens(), cfg.gridSize(), cfg.gridSize());
    ParameterCount count = ParameterCount.of(cfg);
    out.println("parameters:");
    for (Map.Entry<String, Long> e : count.parts().entrySet()) {
      String note = e.getKey().equals("pos_embed") ? "  (frozen)" : "";
      if (e.getKey().equals("final_layer_xr")) {
        note =
            cfg.hasIgHead()
                ? String.format(
                    Locale.ROOT,
                    "  (IG head after block %d, +%.2f%%)",
                    cfg.igDepth(),
                    100.0 * count.igHead() / count.withoutIgHead())
                : "  (no IG head)";
      }
      out.printf(Locale.ROOT, "  %-20s %,15d%s%n", e.getKey(), e.getValue(), note);
    }
    out.printf(Locale.ROOT, "  %-20s %,15d%n", "total", count.total());
    out.printf(Locale.ROOT, "  %-20s %,15d%n", "trainable", count.trainable());
    out.printf(Locale.ROOT, "  %-20s %,15d%n", "without IG head", count.withoutIgHead());
    out.flush();
  }
}
