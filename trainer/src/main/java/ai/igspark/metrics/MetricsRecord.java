package ai.igspark.metrics;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

/**
 * One metrics record: a line of a run's {@code metrics.jsonl} or of the live stream from the ranks
 * to the driver, written and read through {@link MetricsJson}. The key {@code kind} names the
 * record; the other keys are the record's components in snake_case, and an absent (null) value
 * is left out. The table of keys is docs/checkpoints.md "Metrics records"; keys may be added,
 * never renamed, because notebooks and tools read them.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, include = JsonTypeInfo.As.PROPERTY, property = "kind")
@JsonSubTypes({
  @JsonSubTypes.Type(value = StepRecord.class, name = "step"),
  @JsonSubTypes.Type(value = TrainRecord.class, name = "train"),
  @JsonSubTypes.Type(value = SegmentRecord.class, name = "segment"),
  @JsonSubTypes.Type(value = RetryRecord.class, name = "retry"),
  @JsonSubTypes.Type(value = EvalRecord.class, name = "eval"),
  @JsonSubTypes.Type(value = ProbeRecord.class, name = "probe"),
  @JsonSubTypes.Type(value = CheckpointBrokenRecord.class, name = "checkpoint_broken"),
  @JsonSubTypes.Type(value = GridRecord.class, name = "grid")
})
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
@JsonInclude(JsonInclude.Include.NON_NULL)
public sealed interface MetricsRecord
    permits StepRecord, TrainRecord, SegmentRecord, RetryRecord, EvalRecord, ProbeRecord,
        CheckpointBrokenRecord, GridRecord {}
