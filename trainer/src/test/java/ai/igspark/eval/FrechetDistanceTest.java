package ai.igspark.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

class FrechetDistanceTest {
  private static final LinearAlgebra OPENBLAS = OpenBlasLinearAlgebra.load();
  private static final LinearAlgebra EJML = new EjmlLinearAlgebra();

  private static double fid(String prefix, LinearAlgebra la) {
    Gaussian g1 = FidVectors.gaussian(prefix, 1);
    Gaussian g2 = FidVectors.gaussian(prefix, 2);
    return FrechetDistance.against(g1, la).to(g2).value();
  }

  @Test
  void a1FullRankMatchesExpectedWithOpenBlas() {
    assertEquals(FidVectors.expected("a1_d8.fid"), fid("a1_d8", OPENBLAS), 1e-9);
  }

  @Test
  void a1FullRankMatchesExpectedWithEjml() {
    assertEquals(FidVectors.expected("a1_d8.fid"), fid("a1_d8", EJML), 1e-9);
  }

  @Test
  void a2CloseDistributionsMatchExpectedWithBothLibraries() {
    double expected = FidVectors.expected("a2_d64.fid");
    assertEquals(expected, fid("a2_d64", OPENBLAS), 1e-9);
    assertEquals(expected, fid("a2_d64", EJML), 1e-9);
  }

  @Test
  void a3SingularCovarianceIsExactWithFactorSvd() {
    double expected = FidVectors.expected("a3_d256.fid");
    assertEquals(expected, fid("a3_d256", OPENBLAS), 1e-9);
    assertEquals(expected, fid("a3_d256", EJML), 1e-9);
  }

  @Test
  void a3TermsMatchTheExactIntermediates() {
    FrechetDistance.Result r =
        FrechetDistance.against(FidVectors.gaussian("a3_d256", 1), OPENBLAS)
            .to(FidVectors.gaussian("a3_d256", 2));
    assertEquals(FidVectors.expected("a3_d256.mean_sq_dist"), r.meanTerm(), 1e-12);
    assertEquals(FidVectors.expected("a3_d256.trace_sigma1"), r.traceReference(), 1e-12);
    assertEquals(FidVectors.expected("a3_d256.trace_sigma2"), r.traceOther(), 1e-12);
    assertEquals(FidVectors.expected("a3_d256.trace_sqrt"), r.traceSqrt(), 1e-10);
    assertEquals(64, r.rankOther());
    assertEquals(256, r.rankReference());
  }

  private static double a4(LinearAlgebra la) {
    FidVectors.ACase a4 = FidVectors.a("a4_d2048");
    FrechetDistance.Result r =
        FrechetDistance.against(a4.gaussian(1, la), la).to(a4.gaussian(2, la));
    assertEquals(512, r.rankReference());
    return r.value();
  }

  @Test
  void a4RankDeficientAt2048IsExactWithOpenBlas() {
    assertEquals(FidVectors.expected("a4_d2048.fid"), a4(OPENBLAS), 1e-9);
  }

  @Test
  @Tag("slow")
  void a4RankDeficientAt2048IsExactWithEjml() {
    assertEquals(FidVectors.expected("a4_d2048.fid"), a4(EJML), 1e-9);
  }

  @Test
  void symmetricEigenRouteIsWithinItsToleranceOnEveryACase() {
    for (String c : new String[] {"a1_d8", "a2_d64"}) {
      double fid =
          FrechetDistance.against(
                  FidVectors.gaussian(c, 1), OPENBLAS, FrechetDistance.Method.SYMMETRIC_EIGEN)
              .to(FidVectors.gaussian(c, 2))
              .value();
      assertEquals(FidVectors.expected(c + ".fid"), fid, 1e-9, c);
    }
    // Singular covariance: eigen code with 2^-53 zeroing is held to 1e-6 (fixture README).
    for (LinearAlgebra la : new LinearAlgebra[] {OPENBLAS, EJML}) {
      double fid =
          FrechetDistance.against(
                  FidVectors.gaussian("a3_d256", 1), la, FrechetDistance.Method.SYMMETRIC_EIGEN)
              .to(FidVectors.gaussian("a3_d256", 2))
              .value();
      assertEquals(FidVectors.expected("a3_d256.fid"), fid, 1e-6, la.name());
    }
  }

  @Test
  void equalCovariancesGiveTheSquaredMeanDistance() {
    int d = 512;
    double[] eye = new double[d * d];
    for (int i = 0; i < d; i++) {
      eye[i * d + i] = 1;
    }
    double[] ones = new double[d];
    java.util.Arrays.fill(ones, 1);
    double fid =
        FrechetDistance.between(new Gaussian(new double[d], eye, 0), new Gaussian(ones, eye, 0))
            .value();
    assertEquals(512.0, fid, 1e-9);
  }

  @Test
  void diagonalCovariancesGiveTheClosedForm() {
    int d = 50;
    Random rnd = new Random(7);
    double[] mu1 = new double[d];
    double[] mu2 = new double[d];
    double[] s1 = new double[d * d];
    double[] s2 = new double[d * d];
    double expected = 0;
    for (int i = 0; i < d; i++) {
      mu1[i] = rnd.nextGaussian();
      mu2[i] = rnd.nextGaussian();
      double v1 = rnd.nextDouble() + 0.1;
      double v2 = rnd.nextDouble() + 0.1;
      s1[i * d + i] = v1;
      s2[i * d + i] = v2;
      double dm = mu1[i] - mu2[i];
      double dv = Math.sqrt(v1) - Math.sqrt(v2);
      expected += dm * dm + dv * dv;
    }
    assertEquals(
        expected,
        FrechetDistance.between(new Gaussian(mu1, s1, 0), new Gaussian(mu2, s2, 0)).value(),
        1e-12);
  }

  @Test
  void identicalFeatureSetsGiveZeroWithoutClamping() {
    int d = 256;
    int n = 300;
    Random rnd = new Random(3);
    double[] x = new double[n * d];
    for (int i = 0; i < x.length; i++) {
      x[i] = Math.abs(rnd.nextGaussian());
    }
    Gaussian g = FeatureStatistics.create(d).add(x, n).gaussian();
    double fid = FrechetDistance.between(g, g).value();
    assertTrue(Math.abs(fid) < 1e-11, "FID of identical sets " + fid);
  }

  @Test
  void referenceFactorIsReusedAcrossEvaluations() {
    FrechetDistance ref = FrechetDistance.against(FidVectors.gaussian("a2_d64", 1), OPENBLAS);
    Gaussian other = FidVectors.gaussian("a2_d64", 2);
    double first = ref.to(other).value();
    double second = ref.to(other).value();
    assertEquals(first, second, 0.0);
    assertEquals(FidVectors.expected("a2_d64.fid"), first, 1e-9);
  }
}
