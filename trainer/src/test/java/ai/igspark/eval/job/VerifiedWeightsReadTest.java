package ai.igspark.eval.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.igspark.ckpt.CheckpointIntegrityException;
import ai.igspark.ckpt.CommittedRun;
import ai.igspark.model.ModelConfig;
import ai.igspark.model.Presets;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import org.apache.hadoop.conf.Configuration;
import ai.igspark.eval.SamplerSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The evaluation's weight reads (executors, and the driver's sample grid) go through the
 * checkpoint's manifest: the in-training evaluation of a checkpoint whose EMA rotted after the
 * commit fails with the file and the check, instead of measuring garbage weights.
 */
class VerifiedWeightsReadTest {
  @TempDir Path dir;

  private static SampleEvaluationJob.Spec spec(ModelConfig config, Path weights)
      throws Exception {
    return new SampleEvaluationJob.Spec(
        new ObjectMapper().writeValueAsString(config.toMap()), weights.toUri().toString(), 2,
        7, SampleEvaluationJobTest.euler(1f, 1f, SamplerSpec.LabelMode.RANDOM), 2, null, "cpu");
  }

  @Test
  void emaOfACommittedCheckpointIsVerifiedWhenTheEvaluationReadsIt() throws Exception {
    ModelConfig config = Presets.get("sit-tiny");
    Path run = CommittedRun.create(dir.resolve("run"), config, 10);
    Path ema = CommittedRun.file(run, 10, "ema.safetensors");
    float[] images = SampleEvaluationJob.sampleImages(spec(config, ema), new Configuration());
    assertEquals(2 * 4 * 8 * 8, images.length);

    CommittedRun.rot(ema, false);
    var e = assertThrows(CheckpointIntegrityException.class,
        () -> SampleEvaluationJob.sampleImages(spec(config, ema), new Configuration()));
    assertTrue(e.getMessage().contains("step-00000010/ema.safetensors: SHA-256"), e.getMessage());
  }
}
