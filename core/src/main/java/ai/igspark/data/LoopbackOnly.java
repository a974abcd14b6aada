package ai.igspark.data;

/**
 * Keeps DJL from calling home. On engine start DJL probes a cloud metadata address for telemetry
 * unless offline mode or the tracking opt-out is set; nothing this project runs may leave
 * loopback, so every entry point (CLI, Spark tasks, tests) calls {@link #apply()} before DJL's
 * engine loads. The launchers also pass the same settings as JVM flags and environment.
 */
public final class LoopbackOnly {
  private LoopbackOnly() {}

  public static void apply() {
    System.setProperty("ai.djl.offline", "true");
    System.setProperty("OPT_OUT_TRACKING", "true");
  }
}
