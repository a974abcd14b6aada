package ai.igspark.cli;

import ai.igspark.config.RunConfigSchema;
import ai.igspark.data.InvalidInputException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code igspark config}: about the run configuration itself. */
@Command(
    name = "config",
    mixinStandardHelpOptions = true,
    description = "About the run configuration (run.yaml).")
final class ConfigCommand implements Runnable {
  @Spec CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  @Command(
      name = "schema",
      mixinStandardHelpOptions = true,
      description = {
        "Print the JSON Schema (draft 2020-12) of run.yaml, generated from the",
        "configuration records; docs/run-config.schema.json is its output."
      })
  void schema(
      @Option(names = "--output", paramLabel = "FILE",
          description = "Write it to FILE instead of standard output.") Path output) {
    String json = RunConfigSchema.json();
    if (output == null) {
      spec.commandLine().getOut().print(json);
      spec.commandLine().getOut().flush();
      return;
    }
    try {
      Files.writeString(output, json, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new InvalidInputException("--output " + output + ": cannot write: " + e.getMessage(),
          e);
    }
  }
}
