package ai.igspark.eval.fmnist;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.igspark.data.InvalidInputException;
import ai.igspark.eval.EvaluationSide;
import ai.igspark.eval.FeatureExtractor;
import ai.igspark.eval.FrechetDistance;
import ai.igspark.eval.Gaussian;
import ai.igspark.eval.ImageBatch;
import ai.igspark.eval.ImageFeatures;
import ai.igspark.eval.ImageSource;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class FmnistFeaturesTest {
  private static final int N = 10_000;
  private static FmnistFeatures features;

  @BeforeAll
  static void load() {
    features = FmnistFeatures.ofDefault();
  }

  @AfterAll
  static void close() {
    features.close();
  }

  @Test
  void sameImagesGiveIdenticalFeatures() {
    float[] pixels = FashionMnistSplits.test().first(64).pixels();
    FmnistFeatures.Batch a = features.forward(pixels, 0, 64);
    FmnistFeatures.Batch b = features.forward(pixels, 0, 64);
    try (FmnistFeatures other = FmnistFeatures.ofDefault()) {
      FmnistFeatures.Batch c = other.forward(pixels, 0, 64);
      assertArrayEquals(a.features(), c.features());
      assertArrayEquals(a.logits(), c.logits());
    }
    assertArrayEquals(a.features(), b.features());
    assertArrayEquals(a.logits(), b.logits());
    assertArrayEquals(a.probabilities(), b.probabilities());
    assertEquals(64 * FmnistCnn.FEATURES, a.features().length);
    assertEquals(64 * FmnistCnn.CLASSES, a.probabilities().length);
  }

  @Test
  void fdFmnistOrdersTestItselfBelowTrainBelowNoise() {
    FmnistImages test = FashionMnistSplits.test();
    Gaussian testStats = features.summarize(test.pixels(), test.count()).features().gaussian();
    FmnistImages train = FashionMnistSplits.train().first(N);
    Gaussian trainStats = features.summarize(train.pixels(), N).features().gaussian();
    Gaussian noiseStats = features.summarize(uniformNoise(N, 1), N).features().gaussian();

    FrechetDistance fromTest = FrechetDistance.against(testStats);
    double self = fromTest.to(testStats).value();
    double trainVsTest = fromTest.to(trainStats).value();
    double noiseVsTest = fromTest.to(noiseStats).value();
    System.out.printf(
        "FD-FMNIST (n = %d): test-test %.3e, train-test %.4f, noise-test %.2f%n",
        N, self, trainVsTest, noiseVsTest);
    assertTrue(Math.abs(self) < 1e-6, "FD(test, test) = " + self);
    assertTrue(trainVsTest > Math.abs(self), "train vs test " + trainVsTest);
    assertTrue(noiseVsTest > 10 * trainVsTest,
        "noise vs test " + noiseVsTest + ", train vs test " + trainVsTest);
  }

  @Test
  void classifierScoreOfRealImagesIsHighAndOfNoiseLow() {
    FmnistImages test = FashionMnistSplits.test();
    double real = features.summarize(test.pixels(), test.count()).classifierScore().mean();
    double noise = features.summarize(uniformNoise(2000, 2), 2000).classifierScore().mean();
    // 10 balanced classes classified confidently: close to the maximum of 10.
    assertTrue(real > 7 && real <= 10, "classifier score of the test split " + real);
    assertTrue(noise < real / 2, "classifier score of noise " + noise + ", real " + real);
  }

  @Test
  void uint8ImagesGiveTheFeaturesOfTheirFloatValues() {
    FmnistImages test = FashionMnistSplits.test().first(16);
    int n = test.count();
    byte[] rgb = new byte[n * FmnistImages.PIXELS * 3];
    float[] grey = new float[n * FmnistImages.PIXELS];
    for (int i = 0; i < grey.length; i++) {
      int v = Math.round((test.pixels()[i] + 1f) * 127.5f);
      rgb[3 * i] = rgb[3 * i + 1] = rgb[3 * i + 2] = (byte) v;
      grey[i] = v / 127.5f - 1f;
    }
    FeatureExtractor.Features f = features.extract(new ImageBatch(rgb, n, 32, 32));
    FmnistFeatures.Batch expected = features.forward(grey, 0, n);
    assertArrayEquals(expected.features(), f.pool(), 1e-4f);
    assertArrayEquals(expected.logits(), f.logits(), 1e-4f);
    assertNull(f.spatial());
    assertEquals(FmnistCnn.FEATURES, features.outputs().get(FeatureExtractor.Output.POOL));
    assertEquals(FmnistCnn.CLASSES, features.outputs().get(FeatureExtractor.Output.LOGITS));
  }

  @Test
  void metricsPipelineTakesItAsAFeatureExtractor() {
    FmnistImages test = FashionMnistSplits.test().first(2000);
    byte[] rgb = new byte[test.count() * FmnistImages.PIXELS * 3];
    for (int i = 0; i < test.count() * FmnistImages.PIXELS; i++) {
      int v = Math.round((test.pixels()[i] + 1f) * 127.5f);
      rgb[3 * i] = rgb[3 * i + 1] = rgb[3 * i + 2] = (byte) v;
    }
    ImageSource source = new ImageSource() {
      private int next;

      @Override
      public long count() {
        return test.count();
      }

      @Override
      public ImageBatch next(int max) {
        int n = Math.min(max, test.count() - next);
        if (n == 0) {
          return null;
        }
        int bytes = FmnistImages.PIXELS * 3;
        byte[] part = java.util.Arrays.copyOfRange(rgb, next * bytes, (next + n) * bytes);
        next += n;
        return new ImageBatch(part, n, 32, 32);
      }

      @Override
      public String description() {
        return "first 2000 test images as uint8";
      }

      @Override
      public void close() {}
    };
    EvaluationSide side =
        ImageFeatures.collect(source, features, new ImageFeatures.Wanted(false, true, 64));
    FmnistFeatures.Summary direct = features.summarize(test.pixels(), test.count());
    double fd = FrechetDistance.between(direct.features().gaussian(), side.pool()).value();
    assertEquals(FmnistCnn.FEATURES, side.pool().dim());
    assertTrue(Math.abs(fd) < 1e-4, "FD-FMNIST between the uint8 and float paths " + fd);
    assertEquals(direct.classifierScore().mean(), side.inceptionScore().mean(), 1e-4);
  }

  @Test
  void imagesOfTheWrongSizeAreRejectedWithTheirSize() {
    ImageBatch small = new ImageBatch(new byte[2 * 28 * 28 * 3], 2, 28, 28);
    InvalidInputException e =
        assertThrows(InvalidInputException.class, () -> features.extract(small));
    assertTrue(e.getMessage().contains("28×28"), e.getMessage());
  }

  @Test
  void identityIsTheCommittedFilesSha256() {
    assertEquals(FmnistClassifier.loadDefault().sha256(), features.sha256());
    assertTrue(features.description().contains(FmnistClassifier.DEFAULT_RESOURCE));
  }

  /** Uniform noise in [−1, 1], N×1×32×32. */
  static float[] uniformNoise(int n, long seed) {
    SplittableRandom rng = new SplittableRandom(seed);
    float[] x = new float[n * FmnistImages.PIXELS];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) rng.nextDouble(-1, 1);
    }
    return x;
  }
}
