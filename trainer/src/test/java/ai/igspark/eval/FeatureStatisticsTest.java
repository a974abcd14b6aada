package ai.igspark.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class FeatureStatisticsTest {

  private static void assertRelativelyClose(double[] expected, double[] actual, double rel) {
    assertEquals(expected.length, actual.length);
    for (int i = 0; i < expected.length; i++) {
      double tol = rel * Math.abs(expected[i]);
      assertTrue(
          Math.abs(expected[i] - actual[i]) <= tol,
          "element " + i + ": expected " + expected[i] + " got " + actual[i]);
    }
  }

  private static Gaussian fromFeatures(String name, int which) {
    FidVectors.BCase c = FidVectors.b(name);
    return FeatureStatistics.create(c.d()).add(c.x(which), c.n(which)).gaussian();
  }

  private static double[] expectedSigma(String name, int which) {
    return FidVectors.symmetricFromUpper(
        name + "_sigma" + which + "_upper", FidVectors.b(name).d());
  }

  private void checkCase(String name, int which) {
    Gaussian g = fromFeatures(name, which);
    assertRelativelyClose(FidVectors.doubles(name + "_mu" + which), g.mean(), 1e-12);
    assertRelativelyClose(expectedSigma(name, which), g.covariance(), 1e-12);
  }

  @Test
  void b1MeanAndCovarianceMatchNumpy() {
    checkCase("b1_500x64", 1);
    checkCase("b1_500x64", 2);
  }

  @Test
  void b2MeanAndCovarianceMatchNumpy() {
    checkCase("b2_3000x256", 1);
    checkCase("b2_3000x256", 2);
  }

  @Test
  void b1FidFromRawFeaturesMatchesExpected() {
    double fid =
        FrechetDistance.between(fromFeatures("b1_500x64", 1), fromFeatures("b1_500x64", 2))
            .value();
    assertEquals(FidVectors.expected("b1_500x64.fid"), fid, 1e-9);
  }

  @Test
  void b2FidFromRawFeaturesMatchesExpected() {
    double fid =
        FrechetDistance.between(fromFeatures("b2_3000x256", 1), fromFeatures("b2_3000x256", 2))
            .value();
    assertEquals(FidVectors.expected("b2_3000x256.fid"), fid, 1e-9);
  }

  @Test
  void partitionsWithTheirOwnShiftsMergeToTheWholeResult() {
    double[] all = FidVectors.b("b2_3000x256").x(1);
    int d = 256;
    FeatureStatistics merged = FeatureStatistics.create(d);
    int[] cuts = {0, 7, 1000, 1001, 2500, 3000};
    for (int p = 0; p + 1 < cuts.length; p++) {
      double[] part = Arrays.copyOfRange(all, cuts[p] * d, cuts[p + 1] * d);
      merged.merge(FeatureStatistics.create(d).add(part, cuts[p + 1] - cuts[p]));
    }
    Gaussian g = merged.gaussian();
    assertEquals(3000, g.count());
    assertRelativelyClose(FidVectors.doubles("b2_3000x256_mu1"), g.mean(), 1e-12);
    // Re-centring adds rounding of the size of the entries' natural scale √(Σaa·Σbb), so
    // near-zero correlations are compared at that scale.
    double[] expected = expectedSigma("b2_3000x256", 1);
    for (int a = 0; a < d; a++) {
      for (int b = 0; b < d; b++) {
        double scale = Math.sqrt(expected[a * d + a] * expected[b * d + b]);
        assertEquals(expected[a * d + b], g.covariance()[a * d + b], 1e-12 * scale);
      }
    }
  }

  @Test
  void partitionsWithACommonShiftMergeToTheSameBitsInAnyGrouping() {
    double[] all = FidVectors.b("b1_500x64").x(1);
    int d = 64;
    double[] shift = Arrays.copyOf(all, d);
    FeatureStatistics a = FeatureStatistics.withShift(shift).add(Arrays.copyOfRange(all, 0,
        200 * d), 200);
    FeatureStatistics b = FeatureStatistics.withShift(shift).add(Arrays.copyOfRange(all, 200 * d,
        500 * d), 300);
    FeatureStatistics ab = FeatureStatistics.withShift(shift).merge(a).merge(b);
    FeatureStatistics ba = FeatureStatistics.withShift(shift).merge(b).merge(a);
    assertTrue(Arrays.equals(ab.gaussian().covariance(), ba.gaussian().covariance()));
  }

  @Test
  void packedArrayRoundTripKeepsEveryValue() {
    double[] all = FidVectors.b("b1_500x64").x(2);
    FeatureStatistics s = FeatureStatistics.create(64).add(all, 400);
    FeatureStatistics back = FeatureStatistics.fromArray(s.toArray());
    assertEquals(400, back.count());
    assertTrue(Arrays.equals(s.gaussian().covariance(), back.gaussian().covariance()));
    assertTrue(Arrays.equals(s.gaussian().mean(), back.gaussian().mean()));
  }

  @Test
  void javaSerializationFlushesPendingRows() throws Exception {
    double[] all = FidVectors.b("b1_500x64").x(2);
    FeatureStatistics s = FeatureStatistics.create(64).add(all, 400);
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
      out.writeObject(s);
    }
    FeatureStatistics back;
    try (ObjectInputStream in =
        new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
      back = (FeatureStatistics) in.readObject();
    }
    assertRelativelyClose(
        expectedSigma("b1_500x64", 2), back.gaussian().covariance(), 1e-12);
  }

  @Test
  void kryoRoundTripKeepsRowsNotYetFolded() {
    double[] all = FidVectors.b("b1_500x64").x(2);
    FeatureStatistics s = FeatureStatistics.create(64).add(all, 400); // 400 < one 512-row block
    var kryo = new org.apache.spark.serializer.KryoSerializer(new org.apache.spark.SparkConf())
        .newInstance();
    scala.reflect.ClassTag<FeatureStatistics> tag =
        scala.reflect.ClassTag$.MODULE$.apply(FeatureStatistics.class);
    FeatureStatistics back = kryo.deserialize(kryo.serialize(s, tag), tag);
    assertEquals(400, back.count());
    assertRelativelyClose(
        expectedSigma("b1_500x64", 2), back.gaussian().covariance(), 1e-12);
  }

  @Test
  void floatFeaturesAreAccumulatedInDouble() {
    float[] rows = {1e7f, 1f, 1e7f + 1f, 2f, 1e7f + 2f, 3f};
    Gaussian g = FeatureStatistics.create(2).add(rows, 3).gaussian();
    assertEquals(1e7 + 1, g.mean()[0], 0.0);
    assertEquals(1.0, g.covariance()[0], 0.0);
    assertEquals(1.0, g.covariance()[1], 0.0);
  }
}
