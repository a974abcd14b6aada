package ai.igspark.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.igspark.config.RunConfig;
import ai.igspark.data.config.TypedConfig;
import ai.igspark.model.Presets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** gpu-check's "G replicas equal one", run here with CPU replicas. */
class ReplicaAgreementTest {
  private static final RunConfig.Train RECIPE = TypedConfig.convert(
      Map.of("steps", 3, "global_batch", 6, "optimizer", Map.of("name", "adamw", "lr", 1e-3)),
      RunConfig.Train.class, "test");

  @Test
  void threeCpuReplicasEndBitwiseIdenticalAndWithinSummationOrderOfOneReplica() {
    ReplicaAgreement.Result r = ReplicaAgreement.run(Presets.get("sit-tiny"), RECIPE,
        Device.cpu(), List.of(Device.cpu(), Device.cpu(), Device.cpu()), 3, 6);
    assertTrue(r.replicasIdentical());
    double moved = 0;
    double apart = 0;
    for (var e : r.single().entrySet()) {
      float[] one = e.getValue();
      float[] three = r.replicas().get(0).get(e.getKey());
      float[] start = r.initial().get(e.getKey());
      for (int i = 0; i < one.length; i++) {
        moved += Math.abs(one[i] - start[i]);
        apart += Math.abs(one[i] - three[i]);
      }
    }
    assertTrue(moved > 0, "training moved nothing");
    // Sums over 3 parts instead of one batch: the same up to float rounding, far from training.
    assertTrue(apart < 1e-3 * moved, "apart " + apart + " vs moved " + moved);
  }

  @Test
  void aReplicatedStepBetweenLogIntervalsReadsOnlyTheNormAsOneScalar() {
    ReplicaAgreement.Result r = ReplicaAgreement.run(Presets.get("sit-tiny"), RECIPE,
        Device.cpu(), List.of(Device.cpu(), Device.cpu()), 3, 6);
    assertEquals(1.0, r.readsPerStep(), "one transfer: the gradient norm");
    assertEquals(8.0, r.bytesPerStep(), "one float64 scalar");
  }

  @Test
  void oneDeviceIsNoReplicaCheck() {
    var e = assertThrows(IllegalArgumentException.class, () -> ReplicaAgreement.run(
        Presets.get("sit-tiny"), RECIPE, Device.cpu(), List.of(Device.cpu()), 1, 4));
    assertNotEquals(null, e.getMessage());
  }
}
