package ai.igspark.metrics;

import java.util.Map;

/**
 * One metrics line a rank pushed to the driver while its segment ran.
 *
 * @param rank the authenticated rank that sent it
 * @param receivedAtMillis the driver's clock when the line arrived
 * @param fields the JSON object the rank sent (numbers, strings, booleans, nested objects)
 */
public record MetricRecord(int rank, long receivedAtMillis, Map<String, Object> fields) {}
