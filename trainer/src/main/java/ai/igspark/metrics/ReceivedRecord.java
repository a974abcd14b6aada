package ai.igspark.metrics;

/**
 * One metrics record as the driver received it from a rank while its segment ran.
 *
 * @param rank the authenticated rank that sent it
 * @param receivedAtMillis the driver's clock when the line arrived
 * @param record what the rank sent
 */
public record ReceivedRecord(int rank, long receivedAtMillis, MetricsRecord record) {}
