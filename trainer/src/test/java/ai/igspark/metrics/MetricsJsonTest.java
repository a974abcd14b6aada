package ai.igspark.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.Test;

class MetricsJsonTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  /**
   * Lines as the version before the typed schema wrote them to metrics.jsonl (a demo run, and a
   * latent evaluation, a retry and a failed evaluation in that version's key order).
   */
  private static final List<String> EARLIER_LINES =
      List.of(
          "{\"kind\":\"train\",\"step\":4,\"epoch\":5.333333333333334E-4,\"loss\":2.5611997544765472,"
              + "\"loss_final\":1.707451343536377,\"loss_ig\":1.7074968218803406,\"loss_cos\":0.0,"
              + "\"grad_norm\":0.6865187488912318,\"lr\":0.001,\"samples_per_s\":676.2723832422071,"
              + "\"skipped_steps\":0,\"world_size\":1,\"time\":\"2026-12-06T21:38:52.524191890Z\"}",
          "{\"kind\":\"segment\",\"step\":20,\"segment\":0,\"attempt\":\"5f953d9f33a8\","
              + "\"seconds\":3.769562301,\"start_seconds\":0.472,\"commit_seconds\":0.097199752,"
              + "\"warm_cache\":false,\"skipped_steps\":0,\"time\":\"2026-12-06T21:38:53.183249245Z\"}",
          "{\"kind\":\"retry\",\"step\":200,\"segment\":1,\"attempt\":\"a2\",\"error\":"
              + "\"ExecutorLostFailure: executor 1 exited\",\"backoff_seconds\":1.0,"
              + "\"time\":\"2026-12-06T21:40:00Z\"}",
          "{\"kind\":\"eval\",\"step\":20,\"metric\":\"fd_fmnist\",\"value\":908.1947240586576,"
              + "\"classifier_score\":1.014339377987602,\"num_samples\":20,\"label_mode\":"
              + "\"balanced\",\"sampler\":\"sde-em\",\"steps\":4,\"ig_scale\":1.5,\"ig_interval\":"
              + "[0.0,1.0],\"cfg_scale\":1.0,\"cfg_interval\":[0.0,0.7],\"extractor_sha256\":"
              + "\"23eb8703\",\"grid\":\"eval/step-00000020/grid.png\",\"time\":"
              + "\"2026-12-06T21:38:59.497012190Z\",\"seconds\":6.313252277}",
          "{\"kind\":\"eval\",\"step\":50000,\"metric\":\"fid\",\"value\":2.25,\"sfid\":4.5,"
              + "\"inception_score\":250.5,\"num_samples\":50000,\"label_mode\":\"random\","
              + "\"sampler\":\"sde\",\"steps\":250,\"ig_scale\":1.4,\"ig_interval\":[0.0,1.0],"
              + "\"cfg_scale\":1.0,\"cfg_interval\":[0.0,0.7],\"extractor_sha256\":\"aa\","
              + "\"decoder_sha256\":\"bb\",\"uint8\":\"round\",\"reference\":\"ref.npz\","
              + "\"warnings\":[\"FID from few samples\"],\"time\":\"2026-12-06T21:40:00Z\","
              + "\"seconds\":900.5}",
          "{\"kind\":\"eval\",\"step\":40,\"error\":\"IOException: disk full\","
              + "\"time\":\"2026-12-06T21:40:00Z\"}");

  @Test
  void earlierLinesReadAndWriteBackToTheSameKeysAndValues() throws IOException {
    for (String line : EARLIER_LINES) {
      MetricsRecord record = MetricsJson.read(line);

      assertEquals(JSON.readTree(line), JSON.readTree(MetricsJson.line(record)), line);
    }
  }

  @Test
  void aStepRecordNamesItsKindFirstAndLeavesAbsentLossesOut() {
    StepRecord step = new StepRecord(12, 0.25, null, null, null, 0.5, 1.0e-4f, 64.0, 2, false);

    assertEquals(
        "{\"kind\":\"step\",\"step\":12,\"epoch\":0.25,\"grad_norm\":0.5,\"lr\":1.0E-4,"
            + "\"samples_per_s\":64.0,\"skipped_steps\":2,\"applied\":false}",
        MetricsJson.line(step));
  }

  @Test
  void everyKindRoundTrips() throws IOException {
    List<MetricsRecord> records =
        List.of(
            new StepRecord(3, 0.5, 0.25, 0.5, 0.0, 1.5, 3.0e-4f, 100.0, 0, true),
            new TrainRecord(4, 0.5, 1.0, 0.75, 0.5, 0.0, 1.5, 3.0e-4, 99.0, 1, 2, "t"),
            new SegmentRecord(20, 0, "a1", 3.5, 0.5, 0.1, true, 0, "t"),
            new RetryRecord(20, 1, "a2", "IOException: x", 2.0, "t"),
            EvalRecord.failed(40, "IOException: y", "t"),
            new ProbeRecord(1, 812));
    for (MetricsRecord r : records) {
      assertEquals(r, MetricsJson.read(MetricsJson.line(r)), MetricsJson.line(r));
    }
  }

  @Test
  void stepRecordsOfOlderVersionsAreReadFromTheirTypeKey() throws IOException {
    String old = "{\"type\":\"step\",\"step\":7,\"epoch\":0.5,\"loss_final\":0.25,\"loss_ig\":0.5,"
        + "\"loss_cos\":0.0,\"grad_norm\":1.5,\"lr\":1.0E-4,\"samples_per_s\":10.0,"
        + "\"skipped_steps\":0,\"applied\":true}";

    assertEquals(new StepRecord(7, 0.5, 0.25, 0.5, 0.0, 1.5, 1.0e-4f, 10.0, 0, true),
        MetricsJson.read(old));
  }

  @Test
  void keysANewerWriterAddedAreIgnored() throws IOException {
    String newer = "{\"kind\":\"probe\",\"rank\":2,\"engine_millis\":5,\"gpu_name\":\"H100\"}";

    assertEquals(new ProbeRecord(2, 5), MetricsJson.read(newer));
  }

  @Test
  void anObjectWithoutAKnownKindIsRefused() {
    assertThrows(IOException.class, () -> MetricsJson.read("{\"kind\":\"tea\",\"step\":1}"));
    assertThrows(IOException.class, () -> MetricsJson.read("{\"step\":1}"));
  }

  @Test
  void aFailedEvaluationHasOnlyStepErrorAndTime() {
    String line = MetricsJson.line(EvalRecord.failed(40, "IOException: y", "t"));

    assertEquals("{\"kind\":\"eval\",\"step\":40,\"error\":\"IOException: y\",\"time\":\"t\"}",
        line);
  }

  @Test
  void aListIsPrettyPrintedWithEveryRecordsKind() {
    String text = new String(MetricsJson.prettyList(List.of(new ProbeRecord(0, 1),
        new ProbeRecord(1, 2))), java.nio.charset.StandardCharsets.UTF_8);

    assertTrue(text.startsWith("[ {\n  \"kind\" : \"probe\""), text);
    assertEquals(2, text.split("\"kind\"").length - 1, text);
  }
}
