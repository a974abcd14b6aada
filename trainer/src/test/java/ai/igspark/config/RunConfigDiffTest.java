package ai.igspark.config;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.igspark.data.InvalidInputException;
import ai.igspark.data.config.TypedConfig;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import org.junit.jupiter.api.Test;

class RunConfigDiffTest {
  private static JsonNode tree(String yaml) throws Exception {
    return TypedConfig.mapper().readTree(yaml);
  }

  @Test
  void allowChangeKeysMayNameSectionsLeavesAndIndices() throws Exception {
    JsonNode t = tree("train: {optimizer: {lr: 1.0e-4, betas: [0.9, 0.95]}}\neval: {every: 5}\n");
    assertDoesNotThrow(() -> RunConfigDiff.requireKnown(
        List.of("train", "eval.every", "train.optimizer.betas[1]"), t));
  }

  @Test
  void anAllowChangeKeyFoundInNoTreeIsRefusedByName() throws Exception {
    JsonNode t = tree("train: {optimizer: {lr: 1.0e-4}}\n");
    var e = assertThrows(InvalidInputException.class,
        () -> RunConfigDiff.requireKnown(List.of("train.optimizer.lrr"), t));
    assertTrue(e.getMessage().contains("unknown key 'train.optimizer.lrr'"), e.getMessage());
  }

  @Test
  void anIndexPastTheEndOfAListIsUnknown() throws Exception {
    JsonNode t = tree("train: {betas: [0.9, 0.95]}\n");
    assertThrows(InvalidInputException.class,
        () -> RunConfigDiff.requireKnown(List.of("train.betas[2]"), t));
  }

  @Test
  void aKeyInTheSecondTreeIsKnown() throws Exception {
    assertDoesNotThrow(() -> RunConfigDiff.requireKnown(
        List.of("model.ig_depth"), tree("train: {}\n"), tree("model: {ig_depth: 4}\n")));
  }
}
