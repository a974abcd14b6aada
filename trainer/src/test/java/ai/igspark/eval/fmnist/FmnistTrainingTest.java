package ai.igspark.eval.fmnist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class FmnistTrainingTest {

  @Test
  void sameSeedGivesTheSameClassifierAndAnotherSeedAnother() {
    FmnistImages train = FashionMnistSplits.train().first(1000);
    FmnistImages test = FashionMnistSplits.test().first(500);
    FmnistTraining.Config config = new FmnistTraining.Config(5, 1, 100, 2e-3f);
    String a = FmnistTraining.train(train, test, config, s -> {}).classifier().sha256();
    String b = FmnistTraining.train(train, test, config, s -> {}).classifier().sha256();
    FmnistTraining.Config other = new FmnistTraining.Config(6, 1, 100, 2e-3f);
    String c = FmnistTraining.train(train, test, other, s -> {}).classifier().sha256();
    assertEquals(a, b);
    assertNotEquals(a, c);
  }

  @Test
  void lossFallsWithinOneEpochOnAFewThousandImages() {
    FmnistImages train = FashionMnistSplits.train().first(3000);
    FmnistImages test = FashionMnistSplits.test().first(1000);
    List<String> log = new ArrayList<>();
    FmnistTraining.Result r =
        FmnistTraining.train(train, test, new FmnistTraining.Config(0, 2, 100, 2e-3f), log::add);
    assertTrue(r.epochLoss()[1] < r.epochLoss()[0], "epoch losses " + r.epochLoss()[0] + ", "
        + r.epochLoss()[1]);
    // Far above chance (10%) after 60 steps.
    assertTrue(r.classifier().provenance().testAccuracy() > 0.6,
        "accuracy " + r.classifier().provenance().testAccuracy());
    assertEquals(3000, r.classifier().provenance().trainImages());
  }
}
