package ai.igspark.data.ingest;

/**
 * Where ingestion reports how far it got. The command line shows it as a progress bar; tests and
 * library callers pass {@link #SILENT}. Implementations must tolerate calls from one thread only
 * (ingestion reports from the driver thread).
 */
public interface Progress {

  /** Starts a phase of {@code total} units (images, files, shards); {@code total < 0}: unknown. */
  void begin(String phase, long total);

  /** {@code units} more units of the current phase are done. */
  void advance(long units);

  /** Ends the current phase. */
  void end();

  /** A line for the user (a skipped file, an installed package), shown above the bar. */
  void note(String message);

  Progress SILENT =
      new Progress() {
        @Override
        public void begin(String phase, long total) {}

        @Override
        public void advance(long units) {}

        @Override
        public void end() {}

        @Override
        public void note(String message) {}
      };
}
