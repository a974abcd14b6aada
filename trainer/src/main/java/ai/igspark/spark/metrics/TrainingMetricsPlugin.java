package ai.igspark.spark.metrics;

import ai.igspark.metrics.MetricsRecord;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import org.apache.spark.SparkContext;
import org.apache.spark.api.plugin.DriverPlugin;
import org.apache.spark.api.plugin.ExecutorPlugin;
import org.apache.spark.api.plugin.PluginContext;
import org.apache.spark.api.plugin.SparkPlugin;

/**
 * The Spark plugin ({@code spark.plugins}, added by {@code SparkContexts}) that puts the driver's
 * training scalars into Spark's metrics system: a {@link TrainingGauges} registry under the
 * source {@code plugin.<this class>}, so any configured sink (Prometheus servlet, JMX, CSV)
 * reports them (docs/METRICS.md §8). Driver only: the records already reach the driver, through
 * the metrics stream, and executors have nothing of their own to add.
 */
public final class TrainingMetricsPlugin implements SparkPlugin {
  /** The gauges of each running context with this plugin; an entry lives as long as its context. */
  private static final Map<SparkContext, TrainingGauges> GAUGES = new ConcurrentHashMap<>();

  @Override
  public DriverPlugin driverPlugin() {
    return new Driver();
  }

  @Override
  public ExecutorPlugin executorPlugin() {
    return null; // Spark then loads nothing on executors
  }

  /**
   * What the driver hands its metrics records to ({@code MetricsLog.alsoTo}): the gauges of
   * {@code sc}, or nothing when {@code sc} was started without this plugin.
   */
  public static Consumer<MetricsRecord> listenerFor(SparkContext sc) {
    TrainingGauges gauges = GAUGES.get(sc);
    return gauges == null ? record -> {} : gauges::accept;
  }

  private static final class Driver implements DriverPlugin {
    private SparkContext sc;

    @Override
    public Map<String, String> init(SparkContext sc, PluginContext ctx) {
      this.sc = sc;
      // Created here, before Spark registers the plugin's source: Spark skips an empty registry.
      GAUGES.put(sc, new TrainingGauges(ctx.metricRegistry()));
      return Map.of();
    }

    @Override
    public void shutdown() {
      if (sc != null) {
        GAUGES.remove(sc);
      }
    }
  }
}
