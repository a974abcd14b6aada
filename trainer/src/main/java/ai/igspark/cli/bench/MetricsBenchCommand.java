package ai.igspark.cli.bench;

import ai.igspark.eval.MetricsBenchmark;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Unmatched;

/** {@code igspark bench metrics}: FID from two statistics and the feature accumulation rate. */
@Command(
    name = "metrics",
    mixinStandardHelpOptions = true,
    description = {
      "FID from two d-dimensional statistics and the statistics accumulation rate, with",
      "OpenBLAS and/or EJML. Arguments (passed to MetricsBenchmark): [openblas|ejml|both]",
      "[d, default 2048] [features per set, default 10000]"
    })
public final class MetricsBenchCommand implements Callable<Integer> {
  @Unmatched List<String> args = new ArrayList<>();

  @Override
  public Integer call() throws Exception {
    MetricsBenchmark.main(args.toArray(new String[0]));
    return 0;
  }
}
