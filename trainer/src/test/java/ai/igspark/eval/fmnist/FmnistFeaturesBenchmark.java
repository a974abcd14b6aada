package ai.igspark.eval.fmnist;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.igspark.eval.FrechetDistance;
import ai.igspark.eval.Gaussian;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Numbers for docs/benchmarks/classifier.md: feature-extraction rate, FD-FMNIST between the
 * splits and against noise, classifier scores of the committed classifier. Run with
 *
 * <pre>
 * mvn -B -q -o -pl trainer -am test -Pslow -Dtest=FmnistFeaturesBenchmark \
 *     -Digspark.bench=true -Dsurefire.failIfNoSpecifiedTests=false
 * </pre>
 */
@Tag("slow")
class FmnistFeaturesBenchmark {

  @Test
  void extractionRateAndFdFmnistOfTheSplits() {
    assumeTrue(Boolean.getBoolean("igspark.bench"), "set -Digspark.bench=true to run");
    System.out.printf("intra-op threads: %s%n",
        System.getProperty("ai.djl.pytorch.num_threads", "default (cores)"));
    FmnistImages test = FashionMnistSplits.test();
    FmnistImages train = FashionMnistSplits.train();
    try (FmnistFeatures f = FmnistFeatures.ofDefault()) {
      System.out.printf("classifier %s sha256 %s%n", f.classifier().source(), f.sha256());
      System.out.printf("test accuracy %.4f%n", f.accuracy(test));
      f.summarize(test.pixels(), 2000); // warm-up
      long t0 = System.nanoTime();
      FmnistFeatures.Summary testSummary = f.summarize(test.pixels(), test.count());
      double seconds = (System.nanoTime() - t0) / 1e9;
      System.out.printf("features + statistics of %d images: %.2f s, %.0f images/s%n",
          test.count(), seconds, test.count() / seconds);
      Gaussian testStats = testSummary.features().gaussian();
      FrechetDistance fromTest = FrechetDistance.against(testStats);
      report("test vs test", testSummary, fromTest.to(testStats).value());
      FmnistImages train10k = train.first(10_000);
      FmnistFeatures.Summary s10k = f.summarize(train10k.pixels(), train10k.count());
      report("train[0:10000] vs test", s10k, fromTest.to(s10k.features().gaussian()).value());
      t0 = System.nanoTime();
      FmnistFeatures.Summary all = f.summarize(train.pixels(), train.count());
      seconds = (System.nanoTime() - t0) / 1e9;
      System.out.printf("features + statistics of %d images: %.2f s, %.0f images/s%n",
          train.count(), seconds, train.count() / seconds);
      report("train (60000) vs test", all, fromTest.to(all.features().gaussian()).value());
      FmnistFeatures.Summary noise =
          f.summarize(FmnistFeaturesTest.uniformNoise(10_000, 1), 10_000);
      report("uniform noise (10000) vs test", noise,
          fromTest.to(noise.features().gaussian()).value());
    }
  }

  private static void report(String what, FmnistFeatures.Summary s, double fd) {
    System.out.printf("%-32s FD-FMNIST %.6g   classifier score %.4f ± %.4f (%d chunks)%n", what,
        fd, s.classifierScore().mean(), s.classifierScore().std(),
        s.classifierScore().chunkScores().length);
  }
}
