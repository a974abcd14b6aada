package ai.igspark.cli.bench;

import ai.igspark.collective.RingBenchmark;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Unmatched;

/** {@code igspark bench ring}: ring all-reduce bus bandwidth on loopback against plain TCP. */
@Command(
    name = "ring",
    mixinStandardHelpOptions = true,
    description = {
      "Ring all-reduce bus bandwidth (2(W-1)/W * bytes / time) on loopback, with a single-stream",
      "TCP copy measured in the same run. Options (passed to RingBenchmark): --world 2,4",
      "--mib 1,4,16,64,256 | --floats N  --iters 5  --wire fp32|bf16  --bucket-mib 32",
      "--channels 1"
    })
public final class RingBenchCommand implements Callable<Integer> {
  @Unmatched List<String> args = new ArrayList<>();

  @Override
  public Integer call() throws Exception {
    RingBenchmark.main(args.toArray(new String[0]));
    return 0;
  }
}
