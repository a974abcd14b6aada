package ai.igspark.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.igspark.data.InvalidInputException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code checkpoint.keep_best}: its values, defaults and the errors that name them. */
class KeepBestConfigTest {
  private static final String BASE =
      """
      run: {dir: runs/x}
      data: {manifest: data/d/dataset.json}
      model: {preset: sit-demo}
      train: {steps: 100}
      """;
  private static final String PIXEL_EVAL =
      "eval: {every_steps: 10, reference: data/fashion-mnist-test/dataset.json}\n";
  private static final String LATENT_EVAL =
      "eval: {every_steps: 10, reference: ref/VIRTUAL_imagenet256.npz,"
          + " vae_decoder: vae/decoder.pt, inception: inception/pt_inception.pt}\n";

  @TempDir Path tmp;

  private RunConfig load(String yaml) throws Exception {
    Path p = tmp.resolve("run.yaml");
    Files.writeString(p, yaml);
    return RunConfig.load(p);
  }

  private String rejected(String yaml) {
    return assertThrows(InvalidInputException.class, () -> load(yaml)).getMessage();
  }

  @Test
  void modeDefaultsToTheBetterEndOfTheMetric() throws Exception {
    RunConfig fid = load(BASE + LATENT_EVAL + "checkpoint: {keep_best: {metric: fid}}\n");
    assertEquals(RunConfig.BestMode.MIN, fid.checkpoint().keepBest().mode());
    RunConfig is = load(BASE + LATENT_EVAL + "checkpoint: {keep_best: {metric: inception_score}}\n");
    assertEquals(RunConfig.BestMode.MAX, is.checkpoint().keepBest().mode());
    RunConfig cs = load(BASE + PIXEL_EVAL
        + "checkpoint: {keep_best: {metric: classifier_score, mode: max}}\n");
    assertEquals(RunConfig.BestMode.MAX, cs.checkpoint().keepBest().mode());
  }

  @Test
  void keepBestIsWrittenToRunYamlOnlyWhenSet() throws Exception {
    RunConfig set = load(BASE + PIXEL_EVAL + "checkpoint: {keep_best: {metric: fd_fmnist}}\n");
    assertEquals("min", set.toTree().at("/checkpoint/keep_best/mode").asText());
    assertEquals(set, RunConfig.fromTree(set.toTree(), "run.yaml"), "run.yaml reads back");
    RunConfig unset = load(BASE);
    assertNull(unset.checkpoint().keepBest());
    assertFalse(unset.toTree().path("checkpoint").has("keep_best"), unset.toTree().toString());
  }

  @Test
  void anUnknownModeNamesTheKeyAndTheModes() {
    String m = rejected(BASE + PIXEL_EVAL
        + "checkpoint: {keep_best: {metric: fd_fmnist, mode: lowest}}\n");
    assertTrue(m.contains("checkpoint.keep_best.mode"), m);
    assertTrue(m.contains("one of min, max") && m.contains("'lowest'"), m);
  }

  @Test
  void aModeThatKeepsTheWorstIsRefused() {
    String m = rejected(BASE + LATENT_EVAL + "checkpoint: {keep_best: {metric: fid, mode: max}}\n");
    assertTrue(m.contains("checkpoint.keep_best") && m.contains("would keep the worst"), m);
    assertTrue(m.contains("fid is better when lower (mode min)"), m);
  }

  @Test
  void aMetricThePixelEvaluationDoesNotProduceListsTheOnesItDoes() {
    String m = rejected(BASE + PIXEL_EVAL + "checkpoint: {keep_best: {metric: fid}}\n");
    assertTrue(m.contains("checkpoint.keep_best.metric: 'fid' is not a metric this run's"
        + " evaluation produces"), m);
    assertTrue(m.contains("expected one of [fd_fmnist, classifier_score]"), m);
  }

  @Test
  void anUnknownMetricListsTheLatentEvaluationsMetrics() {
    String m = rejected(BASE + LATENT_EVAL + "checkpoint: {keep_best: {metric: fid50k}}\n");
    assertTrue(m.contains("checkpoint.keep_best.metric: 'fid50k'"), m);
    assertTrue(m.contains("[fid, sfid, inception_score, precision, recall]"), m);
  }

  @Test
  void keepBestWithoutEvaluationIsRefused() {
    String m = rejected(BASE + "checkpoint: {keep_best: {metric: fd_fmnist}}\n");
    assertTrue(m.contains("checkpoint.keep_best.metric: 'fd_fmnist' needs in-training"
        + " evaluation, but eval.every_steps is 0"), m);
  }

  @Test
  void aMissingMetricIsNamed() {
    String m = rejected(BASE + PIXEL_EVAL + "checkpoint: {keep_best: {mode: min}}\n");
    assertTrue(m.contains("checkpoint.keep_best") && m.contains("missing key 'metric'"), m);
  }
}
