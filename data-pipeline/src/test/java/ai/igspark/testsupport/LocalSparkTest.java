package ai.igspark.testsupport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.apache.spark.SparkConf;
import org.junit.jupiter.api.Test;

class LocalSparkTest {

  @Test
  void contextIsLocalOnLoopbackWithoutUiAndOffline() {
    SparkConf conf = LocalSpark.threads(3).conf("t");

    assertEquals("local[3]", conf.get("spark.master"));
    assertEquals("127.0.0.1", conf.get("spark.driver.host"));
    assertEquals("127.0.0.1", conf.get("spark.driver.bindAddress"));
    assertEquals("false", conf.get("spark.ui.enabled"));
    assertEquals("true", conf.get("spark.executorEnv.DJL_OFFLINE"));
    assertTrue(conf.get("spark.executor.extraJavaOptions").contains("-Dai.djl.offline=true"));
  }

  @Test
  void baseSettingsAreKeptButMasterAndAddressesAreTheExtensions() {
    SparkConf conf = LocalSpark.threads(2)
        .basedOn(() -> new SparkConf(false)
            .set("spark.kryo.registrationRequired", "true")
            .setMaster("spark://10.0.0.1:7077")
            .set("spark.driver.host", "10.0.0.1")
            .set("spark.executor.extraJavaOptions", "-Xss4m"))
        .conf("t");

    assertEquals("true", conf.get("spark.kryo.registrationRequired"));
    assertEquals("local[2]", conf.get("spark.master"));
    assertEquals("127.0.0.1", conf.get("spark.driver.host"));
    assertEquals("-Xss4m -Dai.djl.offline=true -DOPT_OUT_TRACKING=true",
        conf.get("spark.executor.extraJavaOptions"));
  }
}
