package ai.igspark.ckpt;

import ai.igspark.testsupport.MiniHdfs;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The run lock on a real (in-process) HDFS: exclusive create and renames at the NameNode. */
class RunLockHdfsTest extends RunLockContract {
  @RegisterExtension static final MiniHdfs hdfs = MiniHdfs.named("run-lock");

  @Override
  Configuration conf() {
    return hdfs.conf();
  }

  @Override
  String location(String name) {
    return hdfs.uri("/runs/" + name);
  }

  @Override
  int raceRounds() {
    return 10;
  }
}
