package ai.igspark.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.igspark.testsupport.LocalSpark;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class FeatureStatisticsSparkTest {
  @RegisterExtension static final LocalSpark spark = LocalSpark.threads(2);

  @Test
  void treeAggregateOverPartitionsGivesTheNumpyStatistics() {
    double[] all = FidVectors.b("b2_3000x256").x(1);
    int d = 256;
    List<double[]> rows = new ArrayList<>();
    for (int i = 0; i < 3000; i++) {
      rows.add(Arrays.copyOfRange(all, i * d, (i + 1) * d));
    }
    // Every partition starts from the same zero value, so they share the pilot shift: the
    // mean of a first batch, as the driver would take it (docs/METRICS.md §5.1).
    double[] pilot = new double[d];
    for (int i = 0; i < 64; i++) {
      for (int j = 0; j < d; j++) {
        pilot[j] += rows.get(i)[j] / 64;
      }
    }
    FeatureStatistics zero = FeatureStatistics.withShift(pilot);
    Gaussian g = spark.sc().parallelize(rows, 6)
        .treeAggregate(zero, (acc, row) -> acc.add(row, 1), FeatureStatistics::merge, 2)
        .gaussian();
    assertEquals(3000, g.count());
    double[] mu = FidVectors.doubles("b2_3000x256_mu1");
    double[] sigma = FidVectors.symmetricFromUpper("b2_3000x256_sigma1_upper", d);
    for (int i = 0; i < d; i++) {
      assertEquals(mu[i], g.mean()[i], 1e-12 * Math.abs(mu[i]));
    }
    // One pass with a pilot shift rounds at the scale √(Σaa·Σbb) of each entry, not at the
    // size of near-zero correlations; compare at that scale.
    for (int a = 0; a < d; a++) {
      for (int b = 0; b < d; b++) {
        double scale = Math.sqrt(sigma[a * d + a] * sigma[b * d + b]);
        assertEquals(sigma[a * d + b], g.covariance()[a * d + b], 1e-12 * scale, a + "," + b);
      }
    }
  }
}
