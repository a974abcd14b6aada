// Prints "<cluster.world_size> <cluster.allow_smaller_world>" of a run configuration, read by
// igspark's own parser (ai.igspark.config.RunConfig, defaults and checks included), so that
// igspark-train.sbatch can hold it against its allocation before it starts Spark. A bad
// configuration gets the parser's own message and exit 2. Run with the JDK's source launcher:
//
//   java -cp "$IGSPARK_JAR:$IGSPARK_LIB/*:$SPARK_HOME/jars/*" \
//       cluster-config/slurm/RunWorldSize.java RUN.yaml

import ai.igspark.config.RunConfig;
import ai.igspark.data.InvalidInputException;
import java.nio.file.Path;

public final class RunWorldSize {
  private RunWorldSize() {}

  public static void main(String[] args) {
    if (args.length != 1) {
      System.err.println("usage: RunWorldSize.java RUN.yaml");
      System.exit(2);
    }
    try {
      RunConfig.Cluster cluster = RunConfig.load(Path.of(args[0])).cluster();
      System.out.println(cluster.worldSize() + " " + cluster.allowSmallerWorld());
    } catch (InvalidInputException e) {
      System.err.println("igspark: error: " + e.getMessage());
      System.exit(2);
    }
  }
}
