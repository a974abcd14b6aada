package ai.igspark.testsupport;

import java.util.function.Supplier;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A test class's Spark context in local mode: {@code local[N]}, the driver bound to 127.0.0.1, no
 * web UI, DJL offline; started before the class's own {@code @BeforeAll} methods and stopped after
 * its {@code @AfterAll} ones. Register with
 * {@code @RegisterExtension static final LocalSpark spark = LocalSpark.threads(2);}. A module that
 * sees igspark's own settings (trainer's {@code SparkContexts}: Kryo with its registrator) passes
 * them with {@link #basedOn}.
 */
public final class LocalSpark implements BeforeAllCallback, AfterAllCallback {
  private static final String LOOPBACK = "127.0.0.1";

  private final int threads;
  private final Supplier<SparkConf> base;
  private JavaSparkContext sc;

  private LocalSpark(int threads, Supplier<SparkConf> base) {
    if (threads < 1) {
      throw new IllegalArgumentException("local Spark needs at least 1 thread, got " + threads);
    }
    this.threads = threads;
    this.base = base;
  }

  /** {@code local[threads]} on a plain {@link SparkConf} (Java serialization). */
  public static LocalSpark threads(int threads) {
    return new LocalSpark(threads, SparkConf::new);
  }

  /**
   * The same, on top of {@code base} (read when the class starts); master, driver address, UI and
   * the offline settings are always this extension's.
   */
  public LocalSpark basedOn(Supplier<SparkConf> base) {
    return new LocalSpark(threads, base);
  }

  /** The configuration the context starts with. */
  public SparkConf conf(String appName) {
    SparkConf conf = base.get()
        .setMaster("local[" + threads + "]")
        .setAppName(appName)
        .set("spark.driver.host", LOOPBACK)
        .set("spark.driver.bindAddress", LOOPBACK)
        .set("spark.ui.enabled", "false")
        .set("spark.ui.showConsoleProgress", "false")
        .set("spark.executorEnv.OPT_OUT_TRACKING", "true")
        .set("spark.executorEnv.DJL_OFFLINE", "true");
    String javaOptions = conf.get("spark.executor.extraJavaOptions", "");
    if (!javaOptions.contains("-Dai.djl.offline=true")) {
      conf.set("spark.executor.extraJavaOptions",
          (javaOptions + " -Dai.djl.offline=true -DOPT_OUT_TRACKING=true").strip());
    }
    return conf;
  }

  @Override
  public void beforeAll(ExtensionContext context) {
    sc = new JavaSparkContext(conf(context.getRequiredTestClass().getSimpleName()));
  }

  @Override
  public void afterAll(ExtensionContext context) {
    if (sc != null) {
      sc.stop();
      sc = null;
    }
  }

  /** The running context; only between the class's start and end. */
  public JavaSparkContext sc() {
    if (sc == null) {
      throw new IllegalStateException(
          "the local Spark context runs only while its test class does");
    }
    return sc;
  }
}
