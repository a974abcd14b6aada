package ai.igspark.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.igspark.data.InvalidInputException;
import org.junit.jupiter.api.Test;

class PrecisionRecallTest {

  private static final int D = FidVectors.PR_D;

  private static boolean[] flags(String name) {
    long[] v = FidVectors.npy(name).toLongs();
    boolean[] out = new boolean[v.length];
    for (int i = 0; i < v.length; i++) {
      out[i] = v[i] != 0;
    }
    return out;
  }

  private static PrecisionRecall.Result run(PrecisionRecall pr) {
    return pr.compute(
        FeatureMatrix.ofDoubles(FidVectors.prReference(), FidVectors.PR_REF, D),
        FeatureMatrix.ofDoubles(FidVectors.prSamples(), FidVectors.PR_SMP, D));
  }

  @Test
  void dCaseMatchesExpectedExactlyIncludingPerRowArrays() {
    PrecisionRecall.Result r = run(PrecisionRecall.adm());
    assertEquals(FidVectors.expected("d.precision"), r.precision(), 0.0);
    assertEquals(FidVectors.expected("d.recall"), r.recall(), 0.0);
    assertArrayEquals(FidVectors.doubles("d_radii_reference"), r.referenceRadii(), 0.0);
    assertArrayEquals(FidVectors.doubles("d_radii_samples"), r.sampleRadii(), 0.0);
    assertArrayEquals(flags("d_samples_in_reference_manifold"), r.sampleInReferenceManifold());
    assertArrayEquals(flags("d_reference_in_samples_manifold"), r.referenceInSampleManifold());
  }

  @Test
  void dCaseIsTheSameWithEjmlKernelsAndFloatFeatures() {
    // The points are multiples of 2^-10 below 2^13: exact in float32.
    PrecisionRecall.Result r =
        PrecisionRecall.withK(3, new EjmlLinearAlgebra())
            .compute(
                FeatureMatrix.ofFloats(floats(FidVectors.prReference()), FidVectors.PR_REF, D),
                FeatureMatrix.ofFloats(floats(FidVectors.prSamples()), FidVectors.PR_SMP, D));
    assertEquals(FidVectors.expected("d.precision"), r.precision(), 0.0);
    assertEquals(FidVectors.expected("d.recall"), r.recall(), 0.0);
  }

  private static float[] floats(double[] v) {
    float[] out = new float[v.length];
    for (int i = 0; i < v.length; i++) {
      out[i] = (float) v[i];
    }
    return out;
  }

  @Test
  void tinyHandExampleCountsTheTieWithLessOrEqual() {
    double[] ref = {0, 1, 2, 3, 4, 10, 11, 12, 13};
    double[] smp = {1, 2, 3, 5, 17, 20, 21, 22, 23};
    PrecisionRecall.Result r =
        PrecisionRecall.adm()
            .compute(FeatureMatrix.ofDoubles(ref, 9, 1), FeatureMatrix.ofDoubles(smp, 9, 1));
    assertArrayEquals(new double[] {9, 4, 4, 4, 9, 9, 4, 4, 9}, r.referenceRadii(), 0.0);
    assertArrayEquals(new double[] {16, 9, 4, 16, 25, 9, 4, 4, 9}, r.sampleRadii(), 0.0);
    assertEquals(4.0 / 9, r.precision(), 0.0);
    assertEquals(7.0 / 9, r.recall(), 0.0);
  }

  @Test
  void tooFewReferencePointsForKNeighboursIsAnError() {
    InvalidInputException e =
        assertThrows(
            InvalidInputException.class,
            () ->
                PrecisionRecall.adm()
                    .compute(
                        FeatureMatrix.ofDoubles(new double[] {0, 1, 2}, 3, 1),
                        FeatureMatrix.ofDoubles(new double[] {0, 1, 2, 3, 4}, 5, 1)));
    assertTrue(e.getMessage().contains("at least 4 reference"), e.getMessage());
  }
}
