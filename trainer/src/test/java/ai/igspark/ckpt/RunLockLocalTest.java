package ai.igspark.ckpt;

import java.nio.file.Path;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.io.TempDir;

/** The run lock on the local disk (Hadoop's checksummed local filesystem). */
class RunLockLocalTest extends RunLockContract {
  @TempDir Path tmp;

  @Override
  Configuration conf() {
    return new Configuration();
  }

  @Override
  String location(String name) {
    return tmp.resolve(name).toUri().toString();
  }

  @Override
  int raceRounds() {
    return 30;
  }
}
