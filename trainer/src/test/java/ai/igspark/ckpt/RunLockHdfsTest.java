package ai.igspark.ckpt;

import java.io.IOException;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** The run lock on a real (in-process) HDFS: exclusive create and renames at the NameNode. */
class RunLockHdfsTest extends RunLockContract {
  private static MiniHdfs hdfs;

  @BeforeAll
  static void startHdfs() throws IOException {
    hdfs = new MiniHdfs("run-lock");
  }

  @AfterAll
  static void stopHdfs() {
    if (hdfs != null) {
      hdfs.close();
    }
  }

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
